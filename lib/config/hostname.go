package config

import "os"

// HostnameOption is Momentum's global Hostname: the name msyshost gives
// itself in greetings, EHLO, Received headers and bounces.
var HostnameOption = Declare(OptionSpec{Name: "Hostname", Scopes: []string{GlobalScope}, Type: StringType,
	Help: "this host's name in greetings, EHLO, Received headers and bounces; default the machine's"})

// Hostname returns the name msyshost gives itself: cfg's Hostname, else
// fallback, else the machine's name, else "localhost". cfg may be nil.
func Hostname(cfg *Config, fallback string) string {
	if cfg != nil {
		if o, ok := cfg.Root().Get(HostnameOption.Name); ok && o.Value.String() != "" {
			return o.Value.String()
		}
	}
	if fallback != "" {
		return fallback
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}
