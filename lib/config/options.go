package config

// The scopes and options this package reads itself, or that several
// packages share. Components declare their own in their packages.

// DataDirectory is where msyshost keeps its files.
var DataDirectory = Declare(OptionSpec{Name: "Data_Directory", Scopes: []string{GlobalScope}, Type: StringType, Default: "data",
	Help: "msyshost's own: where the embedded store, the spool and the control socket live; relative to the working directory"})

// The retry feature's options, read by the channels and the scenario
// runner.
var (
	SMPPRegisteredDelivery = Declare(OptionSpec{Name: "smpp_registered_delivery", Scopes: Fallback, Type: ListType,
		Help: "registered_delivery of submit_sm: a flag or a list of flags, e.g. SMSC_Delivery; receipts asked for mean the message is stored"})
	SMPPSubmitResponseMessageIDFormat = Declare(OptionSpec{Name: "smpp_submit_response_message_id_format", Scopes: Fallback, Type: EnumType,
		Values: []string{"string", "decimal", "hexadecimal"}, Default: "string",
		Help: "how the SMSC writes message ids in submit_sm_resp"})
	SMPPDeliveryReceiptMessageIDFormat = Declare(OptionSpec{Name: "smpp_delivery_receipt_message_id_format", Scopes: Fallback, Type: EnumType,
		Values: []string{"string", "decimal", "hexadecimal"}, Default: "string",
		Help: "how the SMSC writes message ids in delivery receipts"})
	MM7DeliveryReport = Declare(OptionSpec{Name: "mm7_delivery_report", Scopes: Fallback, Type: BoolType, Default: "false",
		Help: "ask the MMSC for delivery reports; reports asked for mean the message is stored"})
	MM7MstoreSaveMessage = Declare(OptionSpec{Name: "mm7_mstore_save_message", Scopes: Fallback, Type: BoolType, Default: "true",
		Help: "keep MM7 submissions in mstore for the retry feature"})
	MM7MstoreBucketUseShortcode = Declare(OptionSpec{Name: "mm7_mstore_bucket_use_shortcode", Scopes: []string{GlobalScope}, Type: BoolType, Default: "true",
		Help: "bucket MM7 messages as MADR-<shortcode> rather than MADR-MM7"})
)

func init() {
	DeclareScope(ScopeSpec{Kind: "Domain", Parents: []string{GlobalScope, BindingScope, BindingGroupScope}, Name: NameRequired,
		Help: "options for mail to one recipient domain, or to every domain a /regex/ name matches"})
	DeclareScope(ScopeSpec{Kind: "Binding", Parents: []string{GlobalScope, BindingGroupScope}, Name: NameRequired,
		Help: "options for messages assigned to one binding (msg:binding)"})
	DeclareScope(ScopeSpec{Kind: "Binding_Group", Parents: []string{GlobalScope}, Name: NameRequired,
		Help: "options shared by the bindings declared inside it"})
	DeclareScope(ScopeSpec{Kind: "alerting", Parents: []string{GlobalScope}, Name: NameForbidden, Module: true,
		Help: "Momentum requires it beside scriptlet; accepted so configs carry over, msyshost has no alerting"})
	DeclareScope(ScopeSpec{Kind: "scriptlet", Parents: []string{GlobalScope}, Name: NameRequired, Module: true,
		Help: "the Lua host: scriptlet \"scriptlet\" { script \"name\" { source = \"module.name\" } }"})
	DeclareScope(ScopeSpec{Kind: "script", Parents: []string{"scriptlet"}, Name: NameRequired,
		Help: "one Lua module loaded by the host; hooks run in the order of these stanzas"})
	DeclareScope(ScopeSpec{Kind: "mstore", Parents: []string{GlobalScope}, Name: NameForbidden, Module: true,
		Help: "the message store of the retry feature: embedded, or Riak with servers"})
	DeclareScope(ScopeSpec{Kind: "Control_Listener", Parents: []string{GlobalScope}, Name: NameForbidden,
		Help: "where the console listens: Listen \"path/to/socket\" { } (Unix sockets only)"})
	DeclareScope(ScopeSpec{Kind: "Listen", Parents: []string{"control_listener", "esmtp_listener", "http_listener"}, Name: NameRequired,
		Help: "one listening address of the enclosing listener"})

	// Read by SMTP out and the MM7 channel: one declaration for both.
	Declare(OptionSpec{Name: "Routes", Scopes: Fallback, Type: ListType,
		Help: "where a domain's messages go, in order: SMTP hosts (\"__mx__\", \"smtp://host?port=N\", \"host[:port]\") or, for delivery_method mm7, the MMSC (\"mm7://host/path?port=8080\", http://, https://)"})
	Declare(OptionSpec{Name: "Enabled", Scopes: []string{ModuleScopes}, Type: BoolType, Default: "true",
		Help: "accepted in every module scope, as in Momentum; msyshost loads every module it has"})
	Declare(OptionSpec{Name: "Debug_Level", Scopes: []string{ModuleScopes}, Type: StringType,
		Help: "accepted in every module scope for compatibility; msyshost's log level is --log-level"})

	Declare(OptionSpec{Name: "source", Scopes: []string{"script"}, Type: StringType,
		Help: "the module a script stanza loads, dot- or slash-separated, without .lua"})

}
