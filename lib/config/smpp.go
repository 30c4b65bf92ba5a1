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

func init() {
	for _, o := range []string{
		SMPPSMSCServer, SMPPSMSCPort, SMPPSMSCSystemID, SMPPSMSCPassword, SMPPSMSCSystemType,
		SMPPBindType, SMPPCommandWindowSize, SMPPEnquireLinkTimer, SMPPResponseTimer,
		SMPPBindResponseTimer, SMPPSubmitRespTimer, SMPPThrottledTimeout, SMPPESMEAddress,
		SMPPESMETON, SMPPESMENPI, SMPPDestTON, SMPPDestNPI, SMPPServiceType, SMPPValidityPeriod,
		SMPPDataCoding, SMPPUDHSegment, SMPPCSMSRefnumLength, SMPPMaxSegments,
		MaxOutboundConnections, SMPPMessagePayload, SMPPSMSCTLS,
	} {
		evalOptions[o] = true
	}
}
