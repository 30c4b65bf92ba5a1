// Package smpp owns the SMPP v3.4 wire format: PDU framing and bodies,
// TLVs, command_status values, the data codings msyshost sends (GSM 03.38
// default alphabet, Latin-1, UCS-2), long-message segmentation and the
// delivery receipt text of appendix B, and Conn, one connection's framing
// and request/response matching. Binding, windows and policy live in the
// roles built on it: smppclient (the ESME) and smsc (the simulator).
//
// Section numbers in comments refer to "Short Message Peer to Peer
// Protocol Specification v3.4", issue 1.2 (12 October 1999).
package smpp

import "fmt"

// CommandID is a PDU's command_id (5.1.2.1).
type CommandID uint32

// Command ids of the PDUs msyshost speaks (5.1.2.1, table 5-1). A response
// is its request's id with the top bit set.
const (
	GenericNack         CommandID = 0x80000000
	BindReceiver        CommandID = 0x00000001
	BindReceiverResp    CommandID = 0x80000001
	BindTransmitter     CommandID = 0x00000002
	BindTransmitterResp CommandID = 0x80000002
	QuerySM             CommandID = 0x00000003
	QuerySMResp         CommandID = 0x80000003
	SubmitSM            CommandID = 0x00000004
	SubmitSMResp        CommandID = 0x80000004
	DeliverSM           CommandID = 0x00000005
	DeliverSMResp       CommandID = 0x80000005
	Unbind              CommandID = 0x00000006
	UnbindResp          CommandID = 0x80000006
	ReplaceSM           CommandID = 0x00000007
	ReplaceSMResp       CommandID = 0x80000007
	CancelSM            CommandID = 0x00000008
	CancelSMResp        CommandID = 0x80000008
	BindTransceiver     CommandID = 0x00000009
	BindTransceiverResp CommandID = 0x80000009
	Outbind             CommandID = 0x0000000B
	EnquireLink         CommandID = 0x00000015
	EnquireLinkResp     CommandID = 0x80000015
	SubmitMulti         CommandID = 0x00000021
	SubmitMultiResp     CommandID = 0x80000021
	AlertNotification   CommandID = 0x00000102
	DataSM              CommandID = 0x00000103
	DataSMResp          CommandID = 0x80000103
)

var commandNames = map[CommandID]string{
	GenericNack: "generic_nack", BindReceiver: "bind_receiver", BindReceiverResp: "bind_receiver_resp",
	BindTransmitter: "bind_transmitter", BindTransmitterResp: "bind_transmitter_resp",
	QuerySM: "query_sm", QuerySMResp: "query_sm_resp", SubmitSM: "submit_sm", SubmitSMResp: "submit_sm_resp",
	DeliverSM: "deliver_sm", DeliverSMResp: "deliver_sm_resp", Unbind: "unbind", UnbindResp: "unbind_resp",
	ReplaceSM: "replace_sm", ReplaceSMResp: "replace_sm_resp", CancelSM: "cancel_sm", CancelSMResp: "cancel_sm_resp",
	BindTransceiver: "bind_transceiver", BindTransceiverResp: "bind_transceiver_resp", Outbind: "outbind",
	EnquireLink: "enquire_link", EnquireLinkResp: "enquire_link_resp", SubmitMulti: "submit_multi",
	SubmitMultiResp: "submit_multi_resp", AlertNotification: "alert_notification", DataSM: "data_sm",
	DataSMResp: "data_sm_resp",
}

func (c CommandID) String() string {
	if n, ok := commandNames[c]; ok {
		return n
	}
	return fmt.Sprintf("command 0x%08X", uint32(c))
}

// IsResponse reports whether c is a response (the top bit, 5.1.2.1).
func (c CommandID) IsResponse() bool { return c&0x80000000 != 0 }

// Response returns the response id of request c.
func (c CommandID) Response() CommandID { return c | 0x80000000 }

// Known reports whether c is a command of SMPP v3.4.
func (c CommandID) Known() bool { _, ok := commandNames[c]; return ok }

// HasResponse reports whether request c is answered by a response PDU
// (outbind and alert_notification are not, 4.1.7 and 4.12).
func (c CommandID) HasResponse() bool {
	return !c.IsResponse() && c != Outbind && c != AlertNotification && c.Known()
}

// HeaderLen is the size of the PDU header (3.2): command_length,
// command_id, command_status, sequence_number, four octets each.
const HeaderLen = 16

// MaxLen bounds command_length. The specification sets no limit; the
// largest legitimate PDU is a submit_sm or deliver_sm carrying a full
// 64 KiB message_payload TLV (5.3.2.32) beside its mandatory fields, so
// anything larger is a broken or hostile peer and is refused before a
// byte of its body is allocated.
const MaxLen = HeaderLen + 1024 + 4 + 0xFFFF

// Header is the PDU header (3.2).
type Header struct {
	Length uint32
	ID     CommandID
	Status Status
	Seq    uint32
}

// PDU is one protocol data unit: its header and decoded body. Length is
// set by Encode.
type PDU struct {
	Header
	Body Body
}

// MaxSeq is the largest sequence_number (5.1.4: 0x00000001 to 0x7FFFFFFF).
const MaxSeq = 0x7FFFFFFF

// Body is a PDU's body. Every body type of this package implements it.
type Body interface {
	// Command is the command_id the body belongs to.
	Command() CommandID
	encode(w *writer)
	decode(r *reader) error
}

// NewBody returns an empty body for command id, or nil when the package
// does not know the command.
func NewBody(id CommandID) Body {
	switch id {
	case BindReceiver, BindTransmitter, BindTransceiver:
		return &Bind{ID: id}
	case BindReceiverResp, BindTransmitterResp, BindTransceiverResp:
		return &BindResp{ID: id}
	case SubmitSM, DeliverSM:
		return &SM{ID: id}
	case SubmitSMResp, DeliverSMResp, DataSMResp:
		return &SMResp{ID: id}
	case Unbind, UnbindResp, EnquireLink, EnquireLinkResp, GenericNack:
		return &Empty{ID: id}
	case Outbind:
		return &OutbindBody{}
	case AlertNotification:
		return &Alert{}
	case DataSM:
		return &Data{}
	}
	return nil
}
