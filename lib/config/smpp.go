package config

// SMPP channel options, by Momentum's names (Mobile Momentum SMPP options).
// They are valid in the binding, binding_group, domain and global scopes
// unless noted; smppclient reads them and holds their defaults.
const (
	SMPPSMSCServer        = "smpp_smsc_server"      // host of the SMSC (domain, global)
	SMPPSMSCPort          = "smpp_smsc_port"        // port, default 2775 (domain, global)
	SMPPSMSCSystemID      = "smpp_smsc_system_id"   // bind system_id
	SMPPSMSCPassword      = "smpp_smsc_password"    // bind password
	SMPPSMSCSystemType    = "smpp_smsc_system_type" // bind system_type
	SMPPBindType          = "smpp_bind_type"        // transceiver | transmitter | receiver
	SMPPCommandWindowSize = "smpp_command_window_size"
	SMPPEnquireLinkTimer  = "smpp_enquire_link_timer"
	SMPPResponseTimer     = "smpp_response_timer"
	SMPPBindResponseTimer = "smpp_bind_response_timer"
	SMPPSubmitRespTimer   = "smpp_submit_response_timer"
	SMPPThrottledTimeout  = "smpp_esme_throttled_timeout"
	SMPPESMEAddress       = "smpp_esme_address" // the source address: a short or long code
	SMPPESMETON           = "smpp_esme_type_of_number"
	SMPPESMENPI           = "smpp_esme_numbering_plan"
	SMPPDestTON           = "smpp_destination_type_of_number"
	SMPPDestNPI           = "smpp_destination_numbering_plan"
	SMPPServiceType       = "smpp_esme_service_type"
	SMPPValidityPeriod    = "smpp_esme_validity_period"
	SMPPDataCoding        = "smpp_sms_data_coding"
	SMPPUDHSegment        = "smpp_esme_udh_segment"   // true: UDH; false: sar_* TLVs
	SMPPCSMSRefnumLength  = "smpp_csms_refnum_length" // 0, 1 or 2
	SMPPMaxSegments       = "smpp_esme_max_segments"
	// MaxOutboundConnections is Momentum's per-domain connection limit;
	// for an SMPP domain it is the number of binds kept open.
	MaxOutboundConnections = "max_outbound_connections"
	// SMPPMessagePayload and SMPPSMSCTLS are msyshost's own: Momentum has
	// no option to send long messages in message_payload, nor TLS binds.
	SMPPMessagePayload = "smpp_esme_message_payload" // bool: whole text in message_payload
	SMPPSMSCTLS        = "smpp_smsc_tls"             // bool: bind over TLS
)

// SMPPDefaultAlphabet is how the SMSC reads data_coding 0 (Momentum's
// SMPP options table: GSM by default).
const SMPPDefaultAlphabet = "smpp_smsc_default_alphabet"

func init() {
	Declare(OptionSpec{Name: SMPPSMSCServer, Scopes: Fallback, Type: StringType, Help: "host of the SMSC"})
	Declare(OptionSpec{Name: SMPPSMSCPort, Scopes: Fallback, Type: IntType, Help: "port of the SMSC (default 2775)"})
	Declare(OptionSpec{Name: SMPPSMSCSystemID, Scopes: Fallback, Type: StringType, Help: "system_id of the bind"})
	Declare(OptionSpec{Name: SMPPSMSCPassword, Scopes: Fallback, Type: StringType, Help: "password of the bind"})
	Declare(OptionSpec{Name: SMPPSMSCSystemType, Scopes: Fallback, Type: StringType, Help: "system_type of the bind"})
	Declare(OptionSpec{Name: SMPPBindType, Scopes: Fallback, Type: ListType, Help: "transceiver (default), transmitter or receiver, or a list: max_outbound_connections binds of each"})
	Declare(OptionSpec{Name: SMPPCommandWindowSize, Scopes: Fallback, Type: IntType, Help: "submits outstanding per bind before waiting for responses"})
	Declare(OptionSpec{Name: SMPPEnquireLinkTimer, Scopes: Fallback, Type: StringType, Help: "seconds between enquire_link PDUs (fractions allowed)"})
	Declare(OptionSpec{Name: SMPPResponseTimer, Scopes: Fallback, Type: StringType, Help: "seconds to wait for a response PDU"})
	Declare(OptionSpec{Name: SMPPBindResponseTimer, Scopes: Fallback, Type: StringType, Help: "seconds to wait for bind_resp (default smpp_response_timer)"})
	Declare(OptionSpec{Name: SMPPSubmitRespTimer, Scopes: Fallback, Type: StringType, Help: "seconds to wait for submit_sm_resp (default smpp_response_timer)"})
	Declare(OptionSpec{Name: SMPPThrottledTimeout, Scopes: Fallback, Type: StringType, Help: "seconds to pause every bind of the account after ESME_RTHROTTLED or ESME_RMSGQFUL (default 1)"})
	Declare(OptionSpec{Name: SMPPESMEAddress, Scopes: Fallback, Type: StringType, Help: "source address of submit_sm: the short or long code"})
	Declare(OptionSpec{Name: SMPPESMETON, Scopes: Fallback, Type: StringType, Help: "type of number of the source address"})
	Declare(OptionSpec{Name: SMPPESMENPI, Scopes: Fallback, Type: StringType, Help: "numbering plan of the source address"})
	Declare(OptionSpec{Name: SMPPDestTON, Scopes: Fallback, Type: StringType, Help: "type of number of the destination address"})
	Declare(OptionSpec{Name: SMPPDestNPI, Scopes: Fallback, Type: StringType, Help: "numbering plan of the destination address"})
	Declare(OptionSpec{Name: SMPPServiceType, Scopes: Fallback, Type: StringType, Help: "service_type of submit_sm"})
	Declare(OptionSpec{Name: SMPPValidityPeriod, Scopes: Fallback, Type: StringType, Help: "validity_period of submit_sm, or null"})
	Declare(OptionSpec{Name: SMPPDataCoding, Scopes: Fallback, Type: StringType, Help: "data coding: default, ascii, latin-1, ucs2 or 0, 1, 3, 8"})
	Declare(OptionSpec{Name: SMPPDefaultAlphabet, Scopes: Fallback, Type: StringType, Help: "what the SMSC reads data_coding 0 as: GSM (default, GSM 03.38; also GSM0338), ASCII (Ascii, US-Ascii) or LATIN1 (Latin-1, Iso-8859-1); Momentum's Latin-5/Cyrillic/Hebrew/UCS2 values are refused"})
	Declare(OptionSpec{Name: SMPPUDHSegment, Scopes: Fallback, Type: BoolType, Help: "long messages as UDH concatenation (true) or sar_* TLVs (false)"})
	Declare(OptionSpec{Name: SMPPCSMSRefnumLength, Scopes: Fallback, Type: IntType, Help: "UDH reference number length in bytes: 0, 1 or 2"})
	Declare(OptionSpec{Name: SMPPMaxSegments, Scopes: Fallback, Type: IntType, Help: "most segments one message may be split into"})
	Declare(OptionSpec{Name: MaxOutboundConnections, Scopes: Fallback, Type: IntType, Help: "connections per domain; for an SMPP domain, the number of binds"})
	Declare(OptionSpec{Name: SMPPMessagePayload, Scopes: Fallback, Type: BoolType, Help: "msyshost's own: send long text whole in message_payload"})
	Declare(OptionSpec{Name: SMPPSMSCTLS, Scopes: Fallback, Type: BoolType, Help: "msyshost's own: bind over TLS"})
}
