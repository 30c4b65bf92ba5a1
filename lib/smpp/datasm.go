package smpp

// Data is data_sm (4.7.1): a message without short_message, its text
// in message_payload. Some SMSCs deliver receipts this way.
type Data struct {
	ServiceType        string
	SourceAddrTON      uint8
	SourceAddrNPI      uint8
	SourceAddr         string
	DestAddrTON        uint8
	DestAddrNPI        uint8
	DestinationAddr    string
	EsmClass           uint8
	RegisteredDelivery uint8
	DataCoding         uint8
	TLVs               TLVs
	Malformed          TLVs // as SM.Malformed
}

// maxDataAddr is the data_sm address limit (4.7.1: 65 octets).
const maxDataAddr = 65

func (d *Data) Command() CommandID { return DataSM }

func (d *Data) validate() error {
	return firstErr(
		limit("service_type", d.ServiceType, maxServiceType, RInvSerTyp),
		limit("source_addr", d.SourceAddr, maxDataAddr, RInvSrcAdr),
		limit("destination_addr", d.DestinationAddr, maxDataAddr, RInvDstAdr),
		d.TLVs.validate(),
	)
}

func (d *Data) encode(w *writer) {
	w.cstr(d.ServiceType)
	w.u8(d.SourceAddrTON)
	w.u8(d.SourceAddrNPI)
	w.cstr(d.SourceAddr)
	w.u8(d.DestAddrTON)
	w.u8(d.DestAddrNPI)
	w.cstr(d.DestinationAddr)
	w.u8(d.EsmClass)
	w.u8(d.RegisteredDelivery)
	w.u8(d.DataCoding)
	d.TLVs.encode(w)
}

func (d *Data) decode(r *reader) (err error) {
	if err := r.addresses(maxDataAddr, &d.ServiceType, &d.SourceAddrTON, &d.SourceAddrNPI, &d.SourceAddr,
		&d.DestAddrTON, &d.DestAddrNPI, &d.DestinationAddr); err != nil {
		return err
	}
	if d.EsmClass, err = r.u8("esm_class"); err != nil {
		return err
	}
	if d.RegisteredDelivery, err = r.u8("registered_delivery"); err != nil {
		return err
	}
	if d.DataCoding, err = r.u8("data_coding"); err != nil {
		return err
	}
	d.TLVs, d.Malformed, err = decodeTLVs(r)
	return err
}

// AsSM returns the deliver_sm a data_sm stands for, so one receipt reader
// serves both (its text is in message_payload, short_message empty).
func (d *Data) AsSM() *SM {
	return &SM{
		ID: DeliverSM, ServiceType: d.ServiceType,
		SourceAddrTON: d.SourceAddrTON, SourceAddrNPI: d.SourceAddrNPI, SourceAddr: d.SourceAddr,
		DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr,
		EsmClass: d.EsmClass, RegisteredDelivery: d.RegisteredDelivery, DataCoding: d.DataCoding, TLVs: d.TLVs,
		Malformed: d.Malformed,
	}
}
