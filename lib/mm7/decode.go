package mm7

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is a document msyshost could not accept. Code is the StatusCode the
// answer reports (in a VASPErrorRsp or RSErrorRsp inside a SOAP Fault);
// Server is true when the failure is the receiver's own (SOAP faultcode
// Server) rather than the sender's (Client).
type Error struct {
	Code   int
	Text   string
	Server bool
	// Fault is the SOAP faultcode when it is neither Client nor Server:
	// VersionMismatch for an envelope that is not SOAP 1.1's, MustUnderstand
	// for a header block the receiver must understand and does not (SOAP
	// 1.1 §4.4.1).
	Fault string
}

func (e *Error) Error() string { return fmt.Sprintf("mm7 %d: %s", e.Code, e.Text) }

func invalid(format string, args ...any) *Error {
	return &Error{Code: ValidationError, Text: fmt.Sprintf(format, args...)}
}

// ParseEnvelope reads one SOAP envelope carrying an MM7 message or a
// Fault. Elements are matched by local name whatever their namespace, as
// relays qualify them in every way the schemas allow and some they do not;
// unknown elements are skipped. Mandatory elements that are missing are an
// *Error with code 4004 (Validation error).
func ParseEnvelope(doc []byte, lim Limits) (*Envelope, error) {
	return parseEnvelope(doc, lim, "")
}

// parseEnvelope is ParseEnvelope for a document whose MIME type named a
// charset (see parseXML).
func parseEnvelope(doc []byte, lim Limits, charset string) (*Envelope, error) {
	root, err := parseXML(doc, lim.orDefault(), charset)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if root.local != "Envelope" {
		return nil, invalid("root element is %s, not a SOAP Envelope", root.local)
	}
	if root.space != SOAPNamespace {
		// SOAP 1.1 §4.4.1: a wrong envelope namespace is a VersionMismatch.
		e := invalid("SOAP envelope namespace %q is not SOAP 1.1's", root.space)
		e.Fault = "VersionMismatch"
		return nil, e
	}
	env := &Envelope{}
	if h := root.child("Header"); h != nil {
		for _, b := range h.children {
			if b.local == "TransactionID" {
				if env.TransactionID == "" {
					env.TransactionID = strings.TrimSpace(b.text.String())
					env.Namespace = b.space
				}
				continue
			}
			// SOAP 1.1 §4.2.3: a header block marked mustUnderstand that
			// the receiver does not know fails the whole message.
			if mu := strings.TrimSpace(b.attrNS(SOAPNamespace, "mustUnderstand")); mu == "1" || mu == "true" {
				e := invalid("header block %s must be understood and is not", b.local)
				e.Fault = "MustUnderstand"
				return env, e
			}
		}
	}
	body := root.child("Body")
	if body == nil {
		return nil, invalid("SOAP envelope has no Body")
	}
	if len(body.children) != 1 {
		return nil, invalid("SOAP Body holds %d elements, not one", len(body.children))
	}
	el := body.children[0]
	if el.space != "" && el.space != SOAPNamespace {
		env.Namespace = el.space
	}
	if el.local == "Fault" && el.space == SOAPNamespace {
		env.Fault, err = decodeFault(el)
		return env, err
	}
	dec, ok := decoders[el.local]
	if !ok {
		return env, &Error{Code: UnsupportedOperation, Text: fmt.Sprintf("unsupported MM7 operation %s", el.local)}
	}
	env.Body, err = dec(el)
	if err != nil {
		return env, err
	}
	return env, nil
}

var decoders = map[string]func(*node) (Message, error){
	"SubmitReq":         decodeSubmitReq,
	"SubmitRsp":         decodeSubmitRsp,
	"DeliveryReportReq": decodeDeliveryReportReq,
	"DeliveryReportRsp": func(n *node) (Message, error) {
		st, err := decodeStatus(n)
		return &DeliveryReportRsp{MM7Version: n.value("MM7Version"), Status: st}, err
	},
	"DeliverReq": decodeDeliverReq,
	"DeliverRsp": func(n *node) (Message, error) {
		st, err := decodeStatus(n)
		return &DeliverRsp{MM7Version: n.value("MM7Version"), Status: st, ServiceCode: n.value("ServiceCode")}, err
	},
	"ReadReplyReq": decodeReadReplyReq,
	"ReadReplyRsp": func(n *node) (Message, error) {
		st, err := decodeStatus(n)
		return &ReadReplyRsp{MM7Version: n.value("MM7Version"), Status: st}, err
	},
	"RSErrorRsp":   func(n *node) (Message, error) { return decodeErrorRsp(n, false) },
	"VASPErrorRsp": func(n *node) (Message, error) { return decodeErrorRsp(n, true) },
}

func decodeErrorRsp(n *node, vasp bool) (*ErrorRsp, error) {
	st, err := decodeStatus(n)
	return &ErrorRsp{VASP: vasp, MM7Version: n.value("MM7Version"), Status: st}, err
}

// decodeStatus reads the Status element. Some relays put StatusCode and
// StatusText directly in the response element (one Korean relay does in
// its RSErrorRsp); that is read too.
func decodeStatus(n *node) (Status, error) {
	s := n.child("Status")
	if s == nil {
		s = n
	}
	raw := s.value("StatusCode")
	if raw == "" {
		return Status{}, invalid("%s has no StatusCode", n.local)
	}
	code, err := strconv.Atoi(raw)
	if err != nil || code < 0 || code > 99999 {
		return Status{}, invalid("%s StatusCode %q is not a status code", n.local, raw)
	}
	st := Status{Code: code, Text: s.value("StatusText")}
	if d := s.child("Details"); d != nil {
		st.Details = strings.TrimSpace(d.text.String())
	}
	return st, nil
}

func decodeFault(n *node) (*Fault, error) {
	f := &Fault{String: n.value("faultstring")}
	code := n.value("faultcode")
	if _, local, ok := strings.Cut(code, ":"); ok {
		code = local
	}
	f.Code = code
	if d := n.child("detail"); d != nil {
		for _, c := range d.children {
			if c.local == "RSErrorRsp" || c.local == "VASPErrorRsp" {
				e, err := decodeErrorRsp(c, c.local == "VASPErrorRsp")
				if err != nil {
					return f, err
				}
				f.Detail = e
			}
		}
	}
	return f, nil
}

var addressKinds = map[string]AddressKind{"Number": Number, "ShortCode": ShortCode, "RFC2822Address": RFC2822Address}

// decodeAddress reads one address element: a Number, ShortCode or
// RFC2822Address child, or a bare value.
func decodeAddress(n *node) (Address, error) {
	for _, c := range n.children {
		kind, ok := addressKinds[c.local]
		if !ok {
			continue
		}
		v := strings.TrimSpace(c.text.String())
		if v == "" {
			return Address{}, invalid("%s has an empty %s", n.local, c.local)
		}
		return Address{
			Kind: kind, Value: v,
			DisplayOnly: c.attr("displayOnly") == "true" || c.attr("displayOnly") == "1",
			Coding:      c.attr("addressCoding"),
		}, nil
	}
	v := strings.TrimSpace(n.text.String())
	if v == "" {
		return Address{}, invalid("%s holds no address", n.local)
	}
	a := Address{Value: v, Bare: true}
	if strings.Contains(v, "@") {
		a.Kind = RFC2822Address
	}
	return a, nil
}

func decodeRecipients(n *node) (Recipients, error) {
	var r Recipients
	if n == nil {
		return r, nil
	}
	for _, list := range []struct {
		name string
		dst  *[]Address
	}{{"To", &r.To}, {"Cc", &r.Cc}, {"Bcc", &r.Bcc}} {
		for _, l := range n.all(list.name) {
			if len(l.children) == 0 {
				a, err := decodeAddress(l)
				if err != nil {
					return r, err
				}
				*list.dst = append(*list.dst, a)
				continue
			}
			for _, c := range l.children {
				if _, ok := addressKinds[c.local]; !ok {
					continue
				}
				a, err := decodeAddress(&node{local: list.name, children: []*node{c}})
				if err != nil {
					return r, err
				}
				*list.dst = append(*list.dst, a)
			}
		}
	}
	return r, nil
}

// optBool reads an optional xs:boolean element.
func optBool(n *node, local string) (*bool, error) {
	c := n.child(local)
	if c == nil {
		return nil, nil
	}
	switch strings.TrimSpace(c.text.String()) {
	case "true", "1":
		return Bool(true), nil
	case "false", "0":
		return Bool(false), nil
	}
	return nil, invalid("%s is %q, not a boolean", local, strings.TrimSpace(c.text.String()))
}

func require(n *node, names ...string) error {
	for _, name := range names {
		if n.child(name) == nil {
			return invalid("%s has no %s", n.local, name)
		}
	}
	return nil
}

func decodeSubmitReq(n *node) (Message, error) {
	// SenderIdentification is mandatory even when empty: a relay that
	// validates refuses a SubmitReq without it.
	if err := require(n, "MM7Version", "SenderIdentification", "Recipients"); err != nil {
		return nil, err
	}
	m := &SubmitReq{
		MM7Version: n.value("MM7Version"), ServiceCode: n.value("ServiceCode"), LinkedID: n.value("LinkedID"),
		MessageClass: n.value("MessageClass"), TimeStamp: n.value("TimeStamp"),
		EarliestDeliveryTime: n.value("EarliestDeliveryTime"), ExpiryDate: n.value("ExpiryDate"),
		Priority: n.value("Priority"), Subject: n.value("Subject"), ChargedParty: n.value("ChargedParty"),
		ChargedPartyID: n.value("ChargedPartyID"),
	}
	if si := n.child("SenderIdentification"); si != nil {
		m.VASPID, m.VASID = si.value("VASPID"), si.value("VASID")
		if sa := si.child("SenderAddress"); sa != nil {
			a, err := decodeAddress(sa)
			if err != nil {
				return nil, err
			}
			m.SenderAddress = &a
		}
	}
	var err error
	if m.Recipients, err = decodeRecipients(n.child("Recipients")); err != nil {
		return nil, err
	}
	if len(m.Recipients.All()) == 0 {
		return nil, invalid("SubmitReq has no recipient")
	}
	if rc := n.child("ReplyCharging"); rc != nil {
		m.ReplyCharging = &ReplyCharging{Size: rc.attr("replyChargingSize"), Deadline: rc.attr("replyDeadline")}
	}
	for _, b := range []struct {
		name string
		dst  **bool
	}{{"DeliveryReport", &m.DeliveryReport}, {"ReadReply", &m.ReadReply}, {"DistributionIndicator", &m.DistributionIndicator}} {
		if *b.dst, err = optBool(n, b.name); err != nil {
			return nil, err
		}
	}
	if c := n.child("Content"); c != nil {
		m.ContentHref = c.attr("href")
		switch c.attr("allowAdaptations") {
		case "true", "1":
			m.AllowAdaptations = Bool(true)
		case "false", "0":
			m.AllowAdaptations = Bool(false)
		}
	}
	return m, nil
}

func decodeSubmitRsp(n *node) (Message, error) {
	st, err := decodeStatus(n)
	if err != nil {
		return nil, err
	}
	m := &SubmitRsp{MM7Version: n.value("MM7Version"), Status: st, MessageID: n.value("MessageID")}
	if st.OK() && m.MessageID == "" {
		return nil, invalid("SubmitRsp reports success without a MessageID")
	}
	return m, nil
}

func decodeDeliveryReportReq(n *node) (Message, error) {
	if err := require(n, "MessageID", "Recipient", "Sender", "MMStatus"); err != nil {
		return nil, err
	}
	m := &DeliveryReportReq{
		MM7Version: n.value("MM7Version"), MMSRelayServerID: n.value("MMSRelayServerID"),
		MessageID: n.value("MessageID"), Date: n.value("Date"), MMStatus: n.value("MMStatus"),
		MMStatusExtension: n.value("MMStatusExtension"), StatusText: n.value("StatusText"),
		ApplicID: n.value("ApplicID"), ReplyApplicID: n.value("ReplyApplicID"), AuxApplicInfo: n.value("AuxApplicInfo"),
	}
	if m.MessageID == "" {
		return nil, invalid("DeliveryReportReq has an empty MessageID")
	}
	if m.MMStatus == "" {
		return nil, invalid("DeliveryReportReq has an empty MMStatus")
	}
	var err error
	if m.Recipient, err = decodeAddress(n.child("Recipient")); err != nil {
		return nil, err
	}
	if m.Sender, err = decodeAddress(n.child("Sender")); err != nil {
		return nil, err
	}
	return m, nil
}

func decodeDeliverReq(n *node) (Message, error) {
	if err := require(n, "Sender"); err != nil {
		return nil, err
	}
	m := &DeliverReq{
		MM7Version: n.value("MM7Version"), MMSRelayServerID: n.value("MMSRelayServerID"),
		VASPID: n.value("VASPID"), VASID: n.value("VASID"), LinkedID: n.value("LinkedID"),
		TimeStamp: n.value("TimeStamp"), ReplyChargingID: n.value("ReplyChargingID"),
		Priority: n.value("Priority"), Subject: n.value("Subject"),
		ApplicID: n.value("ApplicID"), ReplyApplicID: n.value("ReplyApplicID"), AuxApplicInfo: n.value("AuxApplicInfo"),
	}
	var err error
	if m.Sender, err = decodeAddress(n.child("Sender")); err != nil {
		return nil, err
	}
	if m.Recipients, err = decodeRecipients(n.child("Recipients")); err != nil {
		return nil, err
	}
	if c := n.child("Content"); c != nil {
		m.ContentHref = c.attr("href")
	}
	return m, nil
}

func decodeReadReplyReq(n *node) (Message, error) {
	if err := require(n, "MessageID", "Recipient", "Sender", "MMStatus"); err != nil {
		return nil, err
	}
	m := &ReadReplyReq{
		MM7Version: n.value("MM7Version"), MMSRelayServerID: n.value("MMSRelayServerID"),
		MessageID: n.value("MessageID"), TimeStamp: n.value("TimeStamp"), MMStatus: n.value("MMStatus"),
		StatusText: n.value("StatusText"),
		ApplicID:   n.value("ApplicID"), ReplyApplicID: n.value("ReplyApplicID"), AuxApplicInfo: n.value("AuxApplicInfo"),
	}
	var err error
	if m.Recipient, err = decodeAddress(n.child("Recipient")); err != nil {
		return nil, err
	}
	if m.Sender, err = decodeAddress(n.child("Sender")); err != nil {
		return nil, err
	}
	return m, nil
}
