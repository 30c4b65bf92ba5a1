package smpp

import "fmt"

// C-octet string limits, NUL included (the size columns of section 4).
const (
	maxSystemID     = 16
	maxPassword     = 9
	maxSystemType   = 13
	maxAddressRange = 41
	maxServiceType  = 6
	maxAddr         = 21 // source_addr, destination_addr of submit_sm/deliver_sm
	maxAlertAddr    = 65 // alert_notification addresses (4.12.1)
	maxMessageID    = 65
	// MaxShortMessage is the largest short_message (5.2.22: sm_length
	// 0 to 254).
	MaxShortMessage = 254
)

// Interface versions for bind's interface_version (5.2.4).
const Version34 = 0x34

// Bind is bind_transmitter, bind_receiver or bind_transceiver (4.1.1,
// 4.1.3, 4.1.5).
type Bind struct {
	ID               CommandID
	SystemID         string
	Password         string
	SystemType       string
	InterfaceVersion uint8
	AddrTON          uint8
	AddrNPI          uint8
	AddressRange     string
}

func (b *Bind) Command() CommandID { return b.ID }

func (b *Bind) validate() error {
	return firstErr(
		limit("system_id", b.SystemID, maxSystemID, RInvSysID),
		limit("password", b.Password, maxPassword, RInvPaswd),
		limit("system_type", b.SystemType, maxSystemType, RInvSysTyp),
		limit("address_range", b.AddressRange, maxAddressRange, RBindFail),
	)
}

func (b *Bind) encode(w *writer) {
	w.cstr(b.SystemID)
	w.cstr(b.Password)
	w.cstr(b.SystemType)
	w.u8(b.InterfaceVersion)
	w.u8(b.AddrTON)
	w.u8(b.AddrNPI)
	w.cstr(b.AddressRange)
}

func (b *Bind) decode(r *reader) (err error) {
	if b.SystemID, err = r.cstr("system_id", maxSystemID, RInvSysID); err != nil {
		return err
	}
	if b.Password, err = r.cstr("password", maxPassword, RInvPaswd); err != nil {
		return err
	}
	if b.SystemType, err = r.cstr("system_type", maxSystemType, RInvSysTyp); err != nil {
		return err
	}
	if b.InterfaceVersion, err = r.u8("interface_version"); err != nil {
		return err
	}
	if b.AddrTON, err = r.u8("addr_ton"); err != nil {
		return err
	}
	if b.AddrNPI, err = r.u8("addr_npi"); err != nil {
		return err
	}
	b.AddressRange, err = r.cstr("address_range", maxAddressRange, RBindFail)
	return err
}

// BindResp is bind_*_resp (4.1.2, 4.1.4, 4.1.6).
type BindResp struct {
	ID       CommandID
	SystemID string
	TLVs     TLVs // sc_interface_version
}

func (b *BindResp) Command() CommandID { return b.ID }

func (b *BindResp) validate() error {
	return firstErr(limit("system_id", b.SystemID, maxSystemID, RInvSysID), b.TLVs.validate())
}

func (b *BindResp) encode(w *writer) {
	w.cstr(b.SystemID)
	b.TLVs.encode(w)
}

func (b *BindResp) decode(r *reader) (err error) {
	if b.SystemID, err = r.cstr("system_id", maxSystemID, RInvSysID); err != nil {
		return err
	}
	b.TLVs, _, err = decodeTLVs(r)
	return err
}

// Esm_class bits (5.2.12).
const (
	EsmUDHI          = 0x40 // the short message starts with a user data header
	EsmTypeMask      = 0x3C // message type bits of deliver_sm
	EsmDeliveryRcpt  = 0x04 // SMSC delivery receipt
	EsmSMEAck        = 0x08 // SME delivery acknowledgement
	EsmSMEManualAck  = 0x10 // SME manual/user acknowledgement
	EsmIntermediate  = 0x20 // intermediate delivery notification
	EsmModeStoreFwd  = 0x03 // store and forward mode (submit_sm)
	EsmModeDatagram  = 0x01
	EsmModeTransact  = 0x02
	RegDlvSMSC       = 0x01 // registered_delivery: receipt on final outcome (5.2.17)
	RegDlvSMSCFail   = 0x02 // receipt on failure only
	RegDlvSMEAck     = 0x04 // SME delivery acknowledgement
	RegDlvSMEManual  = 0x08 // SME manual/user acknowledgement
	RegDlvIntermedia = 0x10 // intermediate notification
)

// Data codings (5.2.19).
const (
	CodingDefault = 0x00 // SMSC default alphabet, GSM 03.38 on GSM networks
	CodingIA5     = 0x01 // IA5 (CCITT T.50) / ASCII
	CodingBinary  = 0x04 // octet unspecified (8-bit binary)
	CodingLatin1  = 0x03 // ISO-8859-1
	CodingCyril   = 0x06 // ISO-8859-5
	CodingHebrew  = 0x07 // ISO-8859-8
	CodingUCS2    = 0x08 // UCS2 (ISO/IEC-10646)
)

// SM is the body shared by submit_sm (4.4.1) and deliver_sm (4.6.1).
type SM struct {
	ID                   CommandID
	ServiceType          string
	SourceAddrTON        uint8
	SourceAddrNPI        uint8
	SourceAddr           string
	DestAddrTON          uint8
	DestAddrNPI          uint8
	DestinationAddr      string
	EsmClass             uint8
	ProtocolID           uint8
	PriorityFlag         uint8
	ScheduleDeliveryTime string
	ValidityPeriod       string
	RegisteredDelivery   uint8
	ReplaceIfPresentFlag uint8
	DataCoding           uint8
	SMDefaultMsgID       uint8
	ShortMessage         []byte
	TLVs                 TLVs
	// Malformed are received TLVs of a known tag whose length is outside
	// the range section 5.3.2 gives: set apart, not read, never sent.
	Malformed TLVs
}

func (s *SM) Command() CommandID { return s.ID }

func (s *SM) validate() error {
	return firstErr(
		limit("service_type", s.ServiceType, maxServiceType, RInvSerTyp),
		limit("source_addr", s.SourceAddr, maxAddr, RInvSrcAdr),
		limit("destination_addr", s.DestinationAddr, maxAddr, RInvDstAdr),
		timeField("schedule_delivery_time", s.ScheduleDeliveryTime, RInvSched),
		timeField("validity_period", s.ValidityPeriod, RInvExpiry),
		msgLen(s.ShortMessage),
		s.TLVs.validate(),
	)
}

func (s *SM) encode(w *writer) {
	w.cstr(s.ServiceType)
	w.u8(s.SourceAddrTON)
	w.u8(s.SourceAddrNPI)
	w.cstr(s.SourceAddr)
	w.u8(s.DestAddrTON)
	w.u8(s.DestAddrNPI)
	w.cstr(s.DestinationAddr)
	w.u8(s.EsmClass)
	w.u8(s.ProtocolID)
	w.u8(s.PriorityFlag)
	w.cstr(s.ScheduleDeliveryTime)
	w.cstr(s.ValidityPeriod)
	w.u8(s.RegisteredDelivery)
	w.u8(s.ReplaceIfPresentFlag)
	w.u8(s.DataCoding)
	w.u8(s.SMDefaultMsgID)
	w.u8(uint8(len(s.ShortMessage)))
	w.raw(s.ShortMessage)
	s.TLVs.encode(w)
}

// addresses reads the head submit_sm, deliver_sm and data_sm share
// (4.4.1, 4.6.1, 4.7.1): service_type, then the source and destination
// addresses with their TON and NPI, each address at most max octets.
func (r *reader) addresses(max int, serviceType *string, srcTON, srcNPI *uint8, src *string, dstTON, dstNPI *uint8, dst *string) (err error) {
	if *serviceType, err = r.cstr("service_type", maxServiceType, RInvSerTyp); err != nil {
		return err
	}
	if *srcTON, err = r.u8("source_addr_ton"); err != nil {
		return err
	}
	if *srcNPI, err = r.u8("source_addr_npi"); err != nil {
		return err
	}
	if *src, err = r.cstr("source_addr", max, RInvSrcAdr); err != nil {
		return err
	}
	if *dstTON, err = r.u8("dest_addr_ton"); err != nil {
		return err
	}
	if *dstNPI, err = r.u8("dest_addr_npi"); err != nil {
		return err
	}
	*dst, err = r.cstr("destination_addr", max, RInvDstAdr)
	return err
}

func (s *SM) decode(r *reader) (err error) {
	if err := r.addresses(maxAddr, &s.ServiceType, &s.SourceAddrTON, &s.SourceAddrNPI, &s.SourceAddr,
		&s.DestAddrTON, &s.DestAddrNPI, &s.DestinationAddr); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    *uint8
	}{{"esm_class", &s.EsmClass}, {"protocol_id", &s.ProtocolID}, {"priority_flag", &s.PriorityFlag}} {
		if *f.v, err = r.u8(f.name); err != nil {
			return err
		}
	}
	if s.ScheduleDeliveryTime, err = r.fixedTime("schedule_delivery_time", RInvSched); err != nil {
		return err
	}
	if s.ValidityPeriod, err = r.fixedTime("validity_period", RInvExpiry); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    *uint8
	}{{"registered_delivery", &s.RegisteredDelivery}, {"replace_if_present_flag", &s.ReplaceIfPresentFlag},
		{"data_coding", &s.DataCoding}, {"sm_default_msg_id", &s.SMDefaultMsgID}} {
		if *f.v, err = r.u8(f.name); err != nil {
			return err
		}
	}
	n, err := r.u8("sm_length")
	if err != nil {
		return err
	}
	if int(n) > MaxShortMessage {
		return errorf(RInvMsgLen, "sm_length", "%d, at most %d", n, MaxShortMessage)
	}
	if int(n) > r.left() {
		return errorf(RInvMsgLen, "short_message", "sm_length %d but %d octets left", n, r.left())
	}
	if s.ShortMessage, err = r.bytes("short_message", int(n)); err != nil {
		return err
	}
	if s.TLVs, s.Malformed, err = decodeTLVs(r); err != nil {
		return err
	}
	// 5.3.2.32 forbids message_payload beside a non-empty short_message,
	// but SMSCs do send receipts with the text in both; both are kept and
	// Payload decides.
	return nil
}

// Payload returns the message text: message_payload when present
// (5.3.2.32), otherwise short_message.
func (s *SM) Payload() []byte {
	if v, ok := s.TLVs.Get(TagMessagePayload); ok && len(v) > 0 {
		return v
	}
	return s.ShortMessage
}

// SMResp is submit_sm_resp (4.4.2), deliver_sm_resp (4.6.2) and
// data_sm_resp (4.7.2): a message_id, unused (NULL) for deliver_sm_resp.
// SMPP v3.4 gives TLVs to data_sm_resp only; SMSCs following v5.0 append
// some (additional_status_info_text, delivery_failure_reason) to
// submit_sm_resp too, and they are read there as well.
type SMResp struct {
	ID        CommandID
	MessageID string
	TLVs      TLVs
}

func (s *SMResp) Command() CommandID { return s.ID }

func (s *SMResp) validate() error {
	return firstErr(limit("message_id", s.MessageID, maxMessageID, RInvMsgID), s.TLVs.validate())
}

func (s *SMResp) encode(w *writer) {
	w.cstr(s.MessageID)
	s.TLVs.encode(w)
}

func (s *SMResp) decode(r *reader) (err error) {
	if s.MessageID, err = r.cstr("message_id", maxMessageID, RInvMsgID); err != nil {
		return err
	}
	s.TLVs, _, err = decodeTLVs(r)
	return err
}

// Empty is a body-less PDU: unbind, unbind_resp, enquire_link,
// enquire_link_resp, generic_nack (4.2, 4.11, 4.3).
type Empty struct{ ID CommandID }

func (e *Empty) Command() CommandID   { return e.ID }
func (e *Empty) encode(*writer)       {}
func (e *Empty) decode(*reader) error { return nil }

// OutbindBody is outbind (4.1.7): the SMSC asks the ESME to bind.
type OutbindBody struct {
	SystemID string
	Password string
}

func (o *OutbindBody) Command() CommandID { return Outbind }

func (o *OutbindBody) validate() error {
	return firstErr(limit("system_id", o.SystemID, maxSystemID, RInvSysID), limit("password", o.Password, maxPassword, RInvPaswd))
}

func (o *OutbindBody) encode(w *writer) {
	w.cstr(o.SystemID)
	w.cstr(o.Password)
}

func (o *OutbindBody) decode(r *reader) (err error) {
	if o.SystemID, err = r.cstr("system_id", maxSystemID, RInvSysID); err != nil {
		return err
	}
	o.Password, err = r.cstr("password", maxPassword, RInvPaswd)
	return err
}

// Alert is alert_notification (4.12.1): a mobile became available.
type Alert struct {
	SourceAddrTON uint8
	SourceAddrNPI uint8
	SourceAddr    string
	ESMEAddrTON   uint8
	ESMEAddrNPI   uint8
	ESMEAddr      string
	TLVs          TLVs // ms_availability_status
}

func (a *Alert) Command() CommandID { return AlertNotification }

func (a *Alert) validate() error {
	return firstErr(limit("source_addr", a.SourceAddr, maxAlertAddr, RInvSrcAdr),
		limit("esme_addr", a.ESMEAddr, maxAlertAddr, RInvDstAdr), a.TLVs.validate())
}

func (a *Alert) encode(w *writer) {
	w.u8(a.SourceAddrTON)
	w.u8(a.SourceAddrNPI)
	w.cstr(a.SourceAddr)
	w.u8(a.ESMEAddrTON)
	w.u8(a.ESMEAddrNPI)
	w.cstr(a.ESMEAddr)
	a.TLVs.encode(w)
}

func (a *Alert) decode(r *reader) (err error) {
	if a.SourceAddrTON, err = r.u8("source_addr_ton"); err != nil {
		return err
	}
	if a.SourceAddrNPI, err = r.u8("source_addr_npi"); err != nil {
		return err
	}
	if a.SourceAddr, err = r.cstr("source_addr", maxAlertAddr, RInvSrcAdr); err != nil {
		return err
	}
	if a.ESMEAddrTON, err = r.u8("esme_addr_ton"); err != nil {
		return err
	}
	if a.ESMEAddrNPI, err = r.u8("esme_addr_npi"); err != nil {
		return err
	}
	if a.ESMEAddr, err = r.cstr("esme_addr", maxAlertAddr, RInvDstAdr); err != nil {
		return err
	}
	a.TLVs, _, err = decodeTLVs(r)
	return err
}

func limit(field, v string, max int, st Status) error {
	if len(v) > max-1 {
		return errorf(st, field, "%d octets, at most %d allowed", len(v), max-1)
	}
	for i := 0; i < len(v); i++ {
		if v[i] == 0 {
			return errorf(st, field, "contains a NUL")
		}
	}
	return nil
}

func timeField(field, v string, st Status) error {
	if v != "" && len(v) != 16 {
		return errorf(st, field, "time %q is not 16 characters (7.1.1)", v)
	}
	return limit(field, v, 17, st)
}

// CheckTime reports whether v is an SMPP time (7.1.1): "YYMMDDhhmmsstnnp",
// p being + or - (an absolute time nn quarter hours from UTC) or R (a
// relative one, nn 00). Empty means none.
func CheckTime(v string) error {
	if v == "" {
		return nil
	}
	if len(v) != 16 {
		return fmt.Errorf("time %q is not 16 characters YYMMDDhhmmsstnnp (7.1.1)", v)
	}
	for i := 0; i < 15; i++ {
		if v[i] < '0' || v[i] > '9' {
			return fmt.Errorf("time %q: character %d is not a digit (7.1.1)", v, i+1)
		}
	}
	two := func(i int) int { return int(v[i]-'0')*10 + int(v[i+1]-'0') }
	switch p := v[15]; {
	case p == 'R':
	case p == '+' || p == '-':
		if two(2) < 1 || two(2) > 12 || two(4) < 1 || two(4) > 31 || two(6) > 23 || two(8) > 59 || two(10) > 59 || two(13) > 48 {
			return fmt.Errorf("time %q: a field is out of range (7.1.1)", v)
		}
	default:
		return fmt.Errorf("time %q ends with %q, want +, - or R (7.1.1)", v, p)
	}
	return nil
}

func msgLen(b []byte) error {
	if len(b) > MaxShortMessage {
		return errorf(RInvMsgLen, "short_message", "%d octets, at most %d", len(b), MaxShortMessage)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
