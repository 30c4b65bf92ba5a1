package mm7

import "strings"

// AddressKind is which of the three address forms an address element
// holds (TS 23.140 clause 8, the address choice of Recipients, Sender and
// SenderAddress).
type AddressKind int

const (
	Number         AddressKind = iota // an MSISDN
	ShortCode                         // a short code
	RFC2822Address                    // an e-mail address
)

var kindNames = [...]string{"Number", "ShortCode", "RFC2822Address"}

func (k AddressKind) String() string { return kindNames[k] }

// Address is one address element. Some relays write a bare value in
// place of the choice element (<Sender>4321</Sender>); Bare records that,
// so the value round-trips as it came.
type Address struct {
	Kind        AddressKind
	Value       string
	DisplayOnly bool   // displayOnly="true": shown to recipients, not sent to
	Coding      string // addressCoding: "encrypted" or "obfuscated"
	Bare        bool
}

// Message is one MM7 request or response: the single element of a SOAP
// body.
type Message interface {
	// Name is the element name, such as "SubmitReq".
	Name() string
	// Version is the MM7Version element.
	Version() string
}

// Recipients are the To, Cc and Bcc address lists.
type Recipients struct {
	To, Cc, Bcc []Address
}

// All returns every recipient in To, Cc, Bcc order.
func (r Recipients) All() []Address {
	out := make([]Address, 0, len(r.To)+len(r.Cc)+len(r.Bcc))
	out = append(out, r.To...)
	out = append(out, r.Cc...)
	return append(out, r.Bcc...)
}

// ReplyCharging is the ReplyCharging element's attributes.
type ReplyCharging struct {
	Size     string // replyChargingSize
	Deadline string // replyDeadline
}

// SubmitReq is MM7_submit.REQ: a VASP submits an MM (TS 23.140 clause 8).
// Times are kept as written (absolute or relative xs:duration values).
type SubmitReq struct {
	MM7Version            string
	VASPID, VASID         string
	SenderAddress         *Address
	Recipients            Recipients
	ServiceCode           string
	LinkedID              string
	MessageClass          string // Personal, Informational, Advertisement, Auto
	TimeStamp             string
	ReplyCharging         *ReplyCharging
	EarliestDeliveryTime  string
	ExpiryDate            string
	DeliveryReport        *bool
	ReadReply             *bool
	Priority              string // High, Normal, Low
	Subject               string
	ChargedParty          string
	ChargedPartyID        string
	DistributionIndicator *bool
	// ContentHref is the Content element's href, "cid:" and the
	// attachment's Content-ID; Content is that attachment.
	ContentHref      string
	AllowAdaptations *bool
	Content          *Entity
}

// SubmitRsp is MM7_submit.RES: the relay's answer, with the MessageID that
// later delivery reports carry.
type SubmitRsp struct {
	MM7Version string
	Status     Status
	MessageID  string
}

// DeliveryReportReq is MM7_delivery_report.REQ: the relay tells the VASP
// what became of an MM it submitted, for one recipient. Recipient is the
// original MM's recipient, Sender its sender (the VASP's address).
type DeliveryReportReq struct {
	MM7Version        string
	MMSRelayServerID  string
	MessageID         string
	Recipient         Address
	Sender            Address
	Date              string
	MMStatus          string
	MMStatusExtension string // Rel-6
	StatusText        string
	ApplicID          string // Rel-6
	ReplyApplicID     string // Rel-6
	AuxApplicInfo     string // Rel-6
}

// DeliveryReportRsp is MM7_delivery_report.RES.
type DeliveryReportRsp struct {
	MM7Version string
	Status     Status
}

// DeliverReq is MM7_deliver.REQ: an MM a subscriber sent to the VASP
// (mobile originated).
type DeliverReq struct {
	MM7Version       string
	MMSRelayServerID string
	VASPID, VASID    string
	LinkedID         string
	Sender           Address
	Recipients       Recipients
	TimeStamp        string
	ReplyChargingID  string
	Priority         string
	Subject          string
	ApplicID         string // Rel-6
	ReplyApplicID    string // Rel-6
	AuxApplicInfo    string // Rel-6
	ContentHref      string
	Content          *Entity
}

// DeliverRsp is MM7_deliver.RES.
type DeliverRsp struct {
	MM7Version  string
	Status      Status
	ServiceCode string
}

// ReadReplyReq is MM7_read_reply.REQ: the recipient's terminal says the MM
// was read (or deleted unread).
type ReadReplyReq struct {
	MM7Version       string
	MMSRelayServerID string
	MessageID        string
	Recipient        Address
	Sender           Address
	TimeStamp        string
	MMStatus         string // Read, Deleted, Indeterminate
	StatusText       string
	ApplicID         string // Rel-6
	ReplyApplicID    string // Rel-6
	AuxApplicInfo    string // Rel-6
}

// ReadReplyRsp is MM7_read_reply.RES.
type ReadReplyRsp struct {
	MM7Version string
	Status     Status
}

// ErrorRsp is MM7_RS_error.RES (RSErrorRsp, from the relay) or
// MM7_VASP_error.RES (VASPErrorRsp, from the VASP): the answer to a request
// the other side could not even read as what it claims to be.
type ErrorRsp struct {
	VASP       bool // VASPErrorRsp; RSErrorRsp when false
	MM7Version string
	Status     Status
}

func (*SubmitReq) Name() string         { return "SubmitReq" }
func (*SubmitRsp) Name() string         { return "SubmitRsp" }
func (*DeliveryReportReq) Name() string { return "DeliveryReportReq" }
func (*DeliveryReportRsp) Name() string { return "DeliveryReportRsp" }
func (*DeliverReq) Name() string        { return "DeliverReq" }
func (*DeliverRsp) Name() string        { return "DeliverRsp" }
func (*ReadReplyReq) Name() string      { return "ReadReplyReq" }
func (*ReadReplyRsp) Name() string      { return "ReadReplyRsp" }
func (e *ErrorRsp) Name() string {
	if e.VASP {
		return "VASPErrorRsp"
	}
	return "RSErrorRsp"
}

func (m *SubmitReq) Version() string         { return m.MM7Version }
func (m *SubmitRsp) Version() string         { return m.MM7Version }
func (m *DeliveryReportReq) Version() string { return m.MM7Version }
func (m *DeliveryReportRsp) Version() string { return m.MM7Version }
func (m *DeliverReq) Version() string        { return m.MM7Version }
func (m *DeliverRsp) Version() string        { return m.MM7Version }
func (m *ReadReplyReq) Version() string      { return m.MM7Version }
func (m *ReadReplyRsp) Version() string      { return m.MM7Version }
func (m *ErrorRsp) Version() string          { return m.MM7Version }

// Fault is a SOAP 1.1 Fault (SOAP 1.1 §4.4). MM7 puts the RSErrorRsp or
// VASPErrorRsp in its detail (TS 23.140 clause 8, error handling).
type Fault struct {
	Code   string // "Client" or "Server" (the env: prefix is added)
	String string
	Detail *ErrorRsp
}

// Envelope is one SOAP message: the TransactionID header and the body.
type Envelope struct {
	TransactionID string
	// Namespace is the MM7 schema namespace of the body element (or of
	// the TransactionID header when the body element has none).
	Namespace string
	Body      Message // nil when Fault is set
	Fault     *Fault
}

// BodyName names what env carries: its MM7 element, or "SOAP Fault".
func (env *Envelope) BodyName() string {
	if env.Body != nil {
		return env.Body.Name()
	}
	return "SOAP Fault"
}

// Bool returns a pointer to b, for the optional boolean elements.
func Bool(b bool) *bool { return &b }

// IsShortCode reports whether an address value reads as a short code: at
// most six digits (short codes are three to six digits in most numbering
// plans; seven and eight digits are national numbers in several), or not a
// number at all (an alphanumeric sender). The MM7 channel sends such a
// sender address as a ShortCode and buckets by it; the report receiver
// reads the relay's echo of it by the same rule.
func IsShortCode(v string) bool {
	if v == "" || strings.HasPrefix(v, "+") || strings.Contains(v, "@") {
		return false
	}
	return len(v) <= 6 || strings.Trim(v, "0123456789") != ""
}
