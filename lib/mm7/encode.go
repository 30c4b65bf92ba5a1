package mm7

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
)

// Style is how a peer wants its XML written; Momentum exposes the same
// choices as mm7_soap_env, mm7_namespace and mm7_use_namespace_in_body.
type Style struct {
	// EnvPrefix is the SOAP envelope prefix; default "env".
	EnvPrefix string
	// Prefix is the MM7 namespace prefix of the TransactionID header and,
	// with PrefixBody, of the body elements; default "mm7".
	Prefix string
	// PrefixBody qualifies body elements with Prefix; otherwise the body
	// element declares the MM7 namespace as its default namespace, as the
	// TS 23.140 examples do.
	PrefixBody bool
	// Boundary is the multipart boundary of bodies with attachments;
	// empty picks a random one (golden tests fix it).
	Boundary string
}

func (s Style) env() string {
	if s.EnvPrefix == "" {
		return "env"
	}
	return s.EnvPrefix
}

func (s Style) mm7() string {
	if s.Prefix == "" {
		return "mm7"
	}
	return s.Prefix
}

// xw writes indented XML. Whitespace between elements is insignificant in
// SOAP; the indentation is for logs and golden files.
type xw struct {
	b      bytes.Buffer
	depth  int
	prefix string // qualifies body elements: "mm7:" or ""
	// rel6 is set when the namespace is a Release 6 schema's: elements
	// Release 6 added are written only then.
	rel6 bool
	err  error
}

func (w *xw) indent() {
	w.b.WriteByte('\n')
	for i := 0; i < w.depth; i++ {
		w.b.WriteString("  ")
	}
}

func (w *xw) check(s string) {
	if w.err == nil && !validText(s) {
		w.err = fmt.Errorf("value %q holds characters XML cannot carry", s)
	}
}

// open writes a start tag; attrs are name, value pairs.
func (w *xw) open(name string, attrs ...string) {
	w.indent()
	w.startTag(name, attrs)
	w.b.WriteByte('>')
	w.depth++
}

func (w *xw) startTag(name string, attrs []string) {
	w.b.WriteByte('<')
	w.b.WriteString(w.prefix + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.check(attrs[i+1])
		w.b.WriteString(" " + attrs[i] + `="`)
		xml.EscapeText(&w.b, []byte(attrs[i+1]))
		w.b.WriteByte('"')
	}
}

func (w *xw) close(name string) {
	w.depth--
	w.indent()
	w.b.WriteString("</" + w.prefix + name + ">")
}

// leaf writes <name>text</name>; empty text writes nothing (every optional
// MM7 element msyshost writes is omitted rather than sent empty).
func (w *xw) leaf(name, text string, attrs ...string) {
	if text == "" {
		return
	}
	w.indent()
	w.startTag(name, attrs)
	w.b.WriteByte('>')
	w.check(text)
	xml.EscapeText(&w.b, []byte(text))
	w.b.WriteString("</" + w.prefix + name + ">")
}

func (w *xw) boolean(name string, b *bool) {
	if b != nil {
		w.leaf(name, strconv.FormatBool(*b))
	}
}

func (w *xw) address(name string, a Address) {
	if a.Bare {
		w.leaf(name, a.Value)
		return
	}
	w.open(name)
	w.addressValue(a)
	w.close(name)
}

func (w *xw) addressValue(a Address) {
	var attrs []string
	if a.DisplayOnly {
		attrs = append(attrs, "displayOnly", "true")
	}
	if a.Coding != "" {
		attrs = append(attrs, "addressCoding", a.Coding)
	}
	w.leaf(a.Kind.String(), a.Value, attrs...)
}

func (w *xw) recipients(name string, r Recipients) {
	w.open(name)
	for _, l := range []struct {
		name  string
		addrs []Address
	}{{"To", r.To}, {"Cc", r.Cc}, {"Bcc", r.Bcc}} {
		if len(l.addrs) == 0 {
			continue
		}
		w.open(l.name)
		for _, a := range l.addrs {
			w.addressValue(a)
		}
		w.close(l.name)
	}
	w.close(name)
}

func (w *xw) status(s Status) {
	w.open("Status")
	w.leaf("StatusCode", strconv.Itoa(s.Code))
	w.leaf("StatusText", s.Text)
	w.leaf("Details", s.Details)
	w.close("Status")
}

// Marshal writes env as a SOAP 1.1 envelope (TS 23.140 clause 8: the
// TransactionID is a header block the receiver must understand; the body
// holds one MM7 element).
func (s Style) Marshal(env *Envelope) ([]byte, error) {
	ns := env.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	e, m := s.env(), s.mm7()
	w := &xw{rel6: rel6(ns)}
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	w.indent()
	w.b.WriteString(`<` + e + `:Envelope xmlns:` + e + `="` + SOAPNamespace + `">`)
	w.depth++
	if env.TransactionID != "" {
		w.open(e + ":Header")
		w.leaf(m+":TransactionID", env.TransactionID, "xmlns:"+m, ns, e+":mustUnderstand", "1")
		w.close(e + ":Header")
	}
	w.open(e + ":Body")
	switch {
	case env.Fault != nil:
		f := env.Fault
		w.open(e + ":Fault")
		w.leaf("faultcode", e+":"+f.Code)
		w.leaf("faultstring", f.String)
		if f.Detail != nil {
			w.open("detail")
			s.body(w, ns, f.Detail)
			w.close("detail")
		}
		w.close(e + ":Fault")
	case env.Body != nil:
		s.body(w, ns, env.Body)
	default:
		return nil, fmt.Errorf("envelope has neither a body nor a fault")
	}
	w.close(e + ":Body")
	w.depth--
	w.indent()
	w.b.WriteString("</" + e + ":Envelope>\n")
	if w.err != nil {
		return nil, fmt.Errorf("writing %s: %w", env.BodyName(), w.err)
	}
	return w.b.Bytes(), nil
}

// body writes the MM7 element, declaring its namespace on it.
func (s Style) body(w *xw, ns string, m Message) {
	name := m.Name()
	if s.PrefixBody {
		w.open(s.mm7()+":"+name, "xmlns:"+s.mm7(), ns)
		w.prefix = s.mm7() + ":"
	} else {
		w.open(name, "xmlns", ns)
	}
	w.leaf("MM7Version", m.Version())
	switch m := m.(type) {
	case *SubmitReq:
		writeSubmitReq(w, m)
	case *SubmitRsp:
		w.status(m.Status)
		w.leaf("MessageID", m.MessageID)
	case *DeliveryReportReq:
		w.leaf("MMSRelayServerID", m.MMSRelayServerID)
		w.leaf("MessageID", m.MessageID)
		w.address("Recipient", m.Recipient)
		w.address("Sender", m.Sender)
		w.leaf("Date", m.Date)
		w.leaf("MMStatus", m.MMStatus)
		w.rel6Leaf("MMStatusExtension", m.MMStatusExtension)
		w.leaf("StatusText", m.StatusText)
		w.applic(m.ApplicID, m.ReplyApplicID, m.AuxApplicInfo)
	case *DeliverReq:
		writeDeliverReq(w, m)
	case *DeliverRsp:
		w.status(m.Status)
		w.leaf("ServiceCode", m.ServiceCode)
	case *ReadReplyReq:
		w.leaf("MMSRelayServerID", m.MMSRelayServerID)
		w.leaf("MessageID", m.MessageID)
		w.address("Recipient", m.Recipient)
		w.address("Sender", m.Sender)
		w.leaf("TimeStamp", m.TimeStamp)
		w.leaf("MMStatus", m.MMStatus)
		w.leaf("StatusText", m.StatusText)
		w.applic(m.ApplicID, m.ReplyApplicID, m.AuxApplicInfo)
	case *DeliveryReportRsp:
		w.status(m.Status)
	case *ReadReplyRsp:
		w.status(m.Status)
	case *ErrorRsp:
		w.status(m.Status)
	}
	w.close(name)
	w.prefix = ""
}

// rel6Leaf writes an element Release 6 added; in a Release 5 namespace it
// is left out, as a validating relay would refuse it.
func (w *xw) rel6Leaf(name, text string) {
	if w.rel6 {
		w.leaf(name, text)
	}
}

// applic writes the Release 6 application addressing elements (TS 23.140
// clause 8: ApplicID, ReplyApplicID, AuxApplicInfo), which follow each
// other wherever they appear.
func (w *xw) applic(applicID, replyApplicID, auxApplicInfo string) {
	w.rel6Leaf("ApplicID", applicID)
	w.rel6Leaf("ReplyApplicID", replyApplicID)
	w.rel6Leaf("AuxApplicInfo", auxApplicInfo)
}

// writeSubmitReq writes the elements in the schema's sequence order:
// relays that validate reject a SubmitReq whose elements are out of order.
// SenderIdentification is mandatory (all its children are optional), so it
// is written even when empty.
func writeSubmitReq(w *xw, m *SubmitReq) {
	if m.VASPID == "" && m.VASID == "" && m.SenderAddress == nil {
		w.indent()
		w.startTag("SenderIdentification", nil)
		w.b.WriteString("/>")
	} else {
		w.open("SenderIdentification")
		w.leaf("VASPID", m.VASPID)
		w.leaf("VASID", m.VASID)
		if m.SenderAddress != nil {
			w.address("SenderAddress", *m.SenderAddress)
		}
		w.close("SenderIdentification")
	}
	w.recipients("Recipients", m.Recipients)
	w.leaf("ServiceCode", m.ServiceCode)
	w.leaf("LinkedID", m.LinkedID)
	w.leaf("MessageClass", m.MessageClass)
	w.leaf("TimeStamp", m.TimeStamp)
	if rc := m.ReplyCharging; rc != nil {
		var attrs []string
		if rc.Size != "" {
			attrs = append(attrs, "replyChargingSize", rc.Size)
		}
		if rc.Deadline != "" {
			attrs = append(attrs, "replyDeadline", rc.Deadline)
		}
		w.indent()
		w.startTag("ReplyCharging", attrs)
		w.b.WriteString("/>")
	}
	w.leaf("EarliestDeliveryTime", m.EarliestDeliveryTime)
	w.leaf("ExpiryDate", m.ExpiryDate)
	w.boolean("DeliveryReport", m.DeliveryReport)
	w.boolean("ReadReply", m.ReadReply)
	w.leaf("Priority", m.Priority)
	w.leaf("Subject", m.Subject)
	w.leaf("ChargedParty", m.ChargedParty)
	w.rel6Leaf("ChargedPartyID", m.ChargedPartyID)
	w.boolean("DistributionIndicator", m.DistributionIndicator)
	writeContent(w, m.ContentHref, m.AllowAdaptations)
}

func writeDeliverReq(w *xw, m *DeliverReq) {
	w.leaf("MMSRelayServerID", m.MMSRelayServerID)
	w.rel6Leaf("VASPID", m.VASPID)
	w.rel6Leaf("VASID", m.VASID)
	w.leaf("LinkedID", m.LinkedID)
	w.address("Sender", m.Sender)
	if len(m.Recipients.All()) > 0 {
		w.recipients("Recipients", m.Recipients)
	}
	w.leaf("TimeStamp", m.TimeStamp)
	w.leaf("ReplyChargingID", m.ReplyChargingID)
	w.leaf("Priority", m.Priority)
	w.leaf("Subject", m.Subject)
	w.applic(m.ApplicID, m.ReplyApplicID, m.AuxApplicInfo)
	writeContent(w, m.ContentHref, nil)
}

func writeContent(w *xw, href string, adapt *bool) {
	if href == "" {
		return
	}
	attrs := []string{"href", href}
	if adapt != nil {
		attrs = append(attrs, "allowAdaptations", strconv.FormatBool(*adapt))
	}
	w.indent()
	w.startTag("Content", attrs)
	w.b.WriteString("/>")
}
