package config

// MM7 options, by Momentum's names ("Mobile Momentum MM7 Options",
// "Configuration for MM7", "The mm7_serv Module", "HTTP_Listener"). The
// channel's are valid in the binding, binding_group, domain and global
// scopes unless noted; lib/mm7client reads them. The server's are set in
// mm7_serv and HTTP_Listener; lib/mm7server reads them.
var (
	MM7VASPID            = Declare(OptionSpec{Name: "mm7_vaspid", Scopes: Fallback, Type: StringType, Help: "VASPID of the SubmitReq's SenderIdentification"})
	MM7VASID             = Declare(OptionSpec{Name: "mm7_vasid", Scopes: Fallback, Type: StringType, Default: "MessageSystems-VASID", Help: "VASID of the SubmitReq's SenderIdentification"})
	MM7SenderAddress     = Declare(OptionSpec{Name: "mm7_sender_address", Scopes: Fallback, Type: StringType, Help: "SenderAddress: a short code (at most 6 digits or letters, or see mm7_sender_address_type; it names the store bucket), a number or an e-mail address"})
	MM7SenderAddressType = Declare(OptionSpec{Name: "mm7_sender_address_type", Scopes: Fallback, Type: EnumType, Values: []string{"auto", "ShortCode", "Number"}, Default: "auto",
		Help: "msyshost's own: how mm7_sender_address is sent; auto: a ShortCode when it has at most six digits (or letters), else a Number"})
	MM7ServiceCode     = Declare(OptionSpec{Name: "mm7_service_code", Scopes: Fallback, Type: StringType, Help: "ServiceCode of the SubmitReq, for billing"})
	MM7MessageClass    = Declare(OptionSpec{Name: "mm7_message_class", Scopes: Fallback, Type: EnumType, Values: []string{"Personal", "Informational", "Advertisement", "Auto"}, Help: "MessageClass of the SubmitReq"})
	MM7ReadReply       = Declare(OptionSpec{Name: "mm7_read_reply", Scopes: Fallback, Type: BoolType, Default: "false", Help: "ask for read replies (ReadReply) in the SubmitReq"})
	MM7NumberPrefix    = Declare(OptionSpec{Name: "mm7_number_prefix", Scopes: Fallback, Type: StringType, Help: "prepended to recipient numbers"})
	MM7Version         = Declare(OptionSpec{Name: "mm7_version", Scopes: Fallback, Type: StringType, Help: "MM7Version written in requests; default the version of mm7_xml_schema's release (6.8.0 for REL-6-MM7-1-4, 5.3.0 for REL-5-MM7-1-0)"})
	MM7XMLSchema       = Declare(OptionSpec{Name: "mm7_xml_schema", Scopes: Fallback, Type: StringType, Default: "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4", Help: "MM7 schema namespace, REL-5-MM7-1-0 to REL-6-MM7-1-4 (a trailing .xsd or the bare release name is accepted)"})
	MM7Namespace       = Declare(OptionSpec{Name: "mm7_namespace", Scopes: Fallback, Type: StringType, Default: "mm7", Help: "prefix of the MM7 namespace in requests"})
	MM7SOAPEnv         = Declare(OptionSpec{Name: "mm7_soap_env", Scopes: Fallback, Type: StringType, Default: "env", Help: "prefix of the SOAP envelope namespace in requests"})
	MM7NamespaceInBody = Declare(OptionSpec{Name: "mm7_use_namespace_in_body", Scopes: Fallback, Type: BoolType, Default: "false", Help: "qualify the body elements with the MM7 prefix instead of a default namespace"})
	MM7SimpleMIME      = Declare(OptionSpec{Name: "mm7_soap_attachment_simple_mime", Scopes: Fallback, Type: BoolType, Default: "true", Help: "send a plain-text message as a bare text/plain attachment rather than with a SMIL presentation"})
	MM7ResponseTimer   = Declare(OptionSpec{Name: "mm7_response_timer", Scopes: Fallback, Type: DurationType, Default: "10", Help: "how long to wait for the MMSC's answer (at least 1s); then the message is retried"})
	MM7ReplyCharging   = Declare(OptionSpec{Name: "mm7_reply_charging", Scopes: Fallback, Type: BoolType, Default: "false", Help: "request reply charging (ReplyCharging)"})
	MM7ReplyChargeSize = Declare(OptionSpec{Name: "mm7_reply_charging_size", Scopes: Fallback, Type: StringType, Default: "0", Help: "replyChargingSize of ReplyCharging"})
	MM7ReplyDeadline   = Declare(OptionSpec{Name: "mm7_reply_deadline", Scopes: Fallback, Type: StringType, Help: "replyDeadline of ReplyCharging"})
	HTTPURI            = Declare(OptionSpec{Name: "http_uri", Scopes: Fallback, Type: StringType, Help: "request path at the MMSC when the route names none"})
	HTTPHost           = Declare(OptionSpec{Name: "http_host", Scopes: Fallback, Type: StringType, Help: "Host header of requests to the MMSC"})
	HTTPBasicAuth      = Declare(OptionSpec{Name: "http_basic_auth", Scopes: Fallback, Type: StringType, Help: "\"user:password\" presented to the MMSC"})
	MM7MMSCServer      = Declare(OptionSpec{Name: "mm7_mmsc_server", Scopes: Fallback, Type: StringType, Help: "deprecated (use routes): host of the MMSC"})
	MM7MMSCPort        = Declare(OptionSpec{Name: "mm7_mmsc_port", Scopes: Fallback, Type: IntType, Default: "8080", Help: "deprecated (use routes): port of the MMSC"})
	MM7MMSCPath        = Declare(OptionSpec{Name: "mm7_mmsc_path", Scopes: Fallback, Type: StringType, Default: "/", Help: "deprecated (use http_uri): request path at the MMSC"})
	MM7HTTPAuthUser    = Declare(OptionSpec{Name: "mm7_http_auth_user", Scopes: Fallback, Type: StringType, Help: "deprecated (use http_basic_auth): user presented to the MMSC"})
	MM7HTTPAuthPass    = Declare(OptionSpec{Name: "mm7_http_auth_password", Scopes: Fallback, Type: StringType, Help: "deprecated (use http_basic_auth): password presented to the MMSC"})

	MM7VASPURIPaths               = Declare(OptionSpec{Name: "mm7_vasp_uri_paths", Scopes: []string{"mm7_serv"}, Type: ListType, Default: `( "/mm7/" )`, Help: "request paths where the MMSC posts delivery reports, read replies and MO messages"})
	MM7ServerVersion              = Declare(OptionSpec{Name: "mm7_server_version", Scopes: []string{"mm7_serv"}, Type: StringType, Help: "MM7Version of answers to requests that carry none; default the version of the request's schema release"})
	MM7ServerFromAddr             = Declare(OptionSpec{Name: "mm7_server_default_email_from_address", Scopes: []string{"mm7_serv"}, Type: StringType, Help: "sender of MO messages whose sender is a number, when no from domain is set"})
	MM7ServerFromDomain           = Declare(OptionSpec{Name: "mm7_server_default_email_from_domain", Scopes: []string{"mm7_serv"}, Type: StringType, Help: "MO messages from number N come from N@this domain"})
	MM7ServerToAddr               = Declare(OptionSpec{Name: "mm7_server_default_email_to_address", Scopes: []string{"mm7_serv"}, Type: StringType, Help: "recipient of MO messages sent to a number, when no to domain is set"})
	MM7ServerToDomain             = Declare(OptionSpec{Name: "mm7_server_default_email_to_domain", Scopes: []string{"mm7_serv"}, Type: StringType, Help: "MO messages to number N go to N@this domain"})
	MM7ServerBasicAuth            = Declare(OptionSpec{Name: "mm7_server_basic_auth", Scopes: []string{"mm7_serv"}, Type: StringType, Help: "msyshost's own: \"user:password\" the MMSC must present (Momentum uses its ecauth back end)"})
	MM7ServerAllowUnauthenticated = Declare(OptionSpec{Name: "mm7_server_allow_unauthenticated", Scopes: []string{"mm7_serv"}, Type: BoolType, Default: "false",
		Help: "msyshost's own: serve without mm7_server_basic_auth on an HTTP_Listener address beyond loopback (only when the network in front admits just the MMSC)"})
	HTTPTLSCertificate = Declare(OptionSpec{Name: "TLS_Certificate", Scopes: []string{"http_listener"}, Type: StringType,
		Help: "PEM certificate file; with TLS_Key, the MM7 server speaks HTTPS"})
	HTTPTLSKey = Declare(OptionSpec{Name: "TLS_Key", Scopes: []string{"http_listener"}, Type: StringType,
		Help: "PEM private key file of TLS_Certificate"})
	MM7HTTPMaxIdle = Declare(OptionSpec{Name: "mm7_http_max_idle_connections", Scopes: []string{GlobalScope}, Type: IntType, Default: "16",
		Help: "msyshost's own: idle connections kept open to each MMSC for the next submissions (read at start)"})
	MaxRequestSize = Declare(OptionSpec{Name: "Max_Request_Size", Scopes: []string{"http_listener"}, Type: IntType, Help: "largest HTTP request accepted, in bytes (msyshost's default 4 MiB)"})
)

func init() {
	DeclareScope(ScopeSpec{Kind: "mm7_serv", Parents: []string{GlobalScope}, Name: NameForbidden, Module: true,
		Help: "the MM7 server: where MMSCs post delivery reports, read replies and MO messages"})
	DeclareScope(ScopeSpec{Kind: "HTTP_Listener", Parents: []string{GlobalScope}, Name: NameForbidden,
		Help: "the MM7 server's listener: Listen \"127.0.0.1:8089\" { } (loopback by default)"})
}
