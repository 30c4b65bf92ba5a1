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

	Declare(OptionSpec{Name: "script_ttl", Scopes: []string{"scriptlet"}, Type: DurationType, Default: "300",
		Help: "accepted for compatibility: msyshost keeps a generation's code until a reload replaces it"})
	Declare(OptionSpec{Name: "gc_pause", Scopes: []string{"scriptlet"}, Type: IntType, Default: "200",
		Help: "accepted for compatibility (Lua 5.1 collector setting); Go's collector runs the states"})
	Declare(OptionSpec{Name: "gc_stepmul", Scopes: []string{"scriptlet"}, Type: IntType, Default: "200",
		Help: "accepted for compatibility (Lua 5.1 collector setting)"})
	Declare(OptionSpec{Name: "always_gc", Scopes: []string{"scriptlet"}, Type: BoolType, Default: "false",
		Help: "accepted for compatibility (obsolete in Momentum too)"})
	Declare(OptionSpec{Name: "reap_interval", Scopes: []string{"scriptlet"}, Type: DurationType, Default: "1",
		Help: "accepted for compatibility: the pool keeps its states"})
	Declare(OptionSpec{Name: "max_spare_per_master", Scopes: []string{"scriptlet"}, Type: IntType, Default: "5000",
		Help: "accepted for compatibility: pool_size bounds the states"})
	Declare(OptionSpec{Name: "pool_size", Scopes: []string{"scriptlet"}, Type: IntType, Default: "64",
		Help: "msyshost's own: most Lua states per generation, default 64; as many as there are CPUs are built at a load, more when every state is busy"})
	Declare(OptionSpec{Name: "call_timeout", Scopes: []string{"scriptlet"}, Type: DurationType, Default: "5",
		Help: "msyshost's own: deadline of one hook call; a call past it counts as CONTINUE and is logged"})
	Declare(OptionSpec{Name: "source", Scopes: []string{"script"}, Type: StringType,
		Help: "the module a script stanza loads, dot- or slash-separated, without .lua"})

	Declare(OptionSpec{Name: "servers", Scopes: []string{"mstore"}, Type: ListType,
		Help: "Riak servers: \"host:8098\" (HTTP) or \"pb://host:8087\" (Protocol Buffers); without it the embedded store"})
	Declare(OptionSpec{Name: "retention", Scopes: []string{"mstore"}, Type: DurationType, Default: "14d",
		Help: "msyshost's own: how long a stored message is kept when no receipt removes it"})
	Declare(OptionSpec{Name: "path", Scopes: []string{"mstore"}, Type: StringType, Default: "mstore.db",
		Help: "msyshost's own: the embedded store's file, relative to Data_Directory"})
	Declare(OptionSpec{Name: "timeout", Scopes: []string{"mstore"}, Type: DurationType, Default: "5",
		Help: "msyshost's own: how long a Riak server may take to start answering a request"})
	Declare(OptionSpec{Name: "connect_timeout", Scopes: []string{"mstore"}, Type: DurationType, Default: "2",
		Help: "msyshost's own: time limit of connecting to a Riak server"})
	Declare(OptionSpec{Name: "transfer_rate", Scopes: []string{"mstore"}, Type: StringType, Default: "1M",
		Help: "msyshost's own: the slowest rate a record may move at, bytes/s with K, M, G (1024-based); a record of n bytes gets n/rate beyond timeout"})

}
