package config

var inboundAuditMonitors = Declare(OptionSpec{Name: "monitors", Scopes: []string{"inbound_audit"}, Type: ListType,
	Help: "time series of msys.audit: ( \"window-seconds,number-of-windows\" ... ), e.g. ( \"300,6\" \"1800,4\" )"})

func init() {
	DeclareScope(ScopeSpec{Kind: "inbound_audit", Parents: []string{GlobalScope}, Name: NameForbidden, Module: true,
		Help: "connection, reception and rejection counts per client in time windows, read by msys.audit"})
	for _, name := range []string{"log_dir", "serialize_dir"} {
		Declare(OptionSpec{Name: name, Scopes: []string{"inbound_audit"}, Type: StringType,
			Help: "accepted for compatibility; msyshost keeps audit series in memory"})
	}
	Declare(OptionSpec{Name: "maintenance_interval", Scopes: []string{"inbound_audit"}, Type: DurationType, Default: "300",
		Help: "accepted for compatibility; windows advance as they are read"})
}

// InboundAudit reports whether the inbound_audit module is configured and
// its monitors ("300,6" ...).
func (c *Config) InboundAudit() (monitors []string, ok bool) {
	scopes := c.root.Scopes("inbound_audit")
	if len(scopes) == 0 {
		return nil, false
	}
	if v, set := inboundAuditMonitors.In(scopes[len(scopes)-1]); set {
		monitors = v.List()
	}
	return monitors, true
}
