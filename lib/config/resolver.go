package config

// The resolver msys.dnsLookup queries (Momentum's global DNS options).

// ResolvConf names the resolv.conf whose nameservers and timeout/attempts
// the resolver uses.
var ResolvConf = Declare(OptionSpec{Name: "Resolv_Conf", Scopes: []string{GlobalScope}, Type: StringType, Default: "/etc/resolv.conf",
	Help: "the resolv.conf msys.dnsLookup reads (nameserver, options timeout/attempts/retrans/retry)"})

// DNSFallbackToTCP asks again over TCP when a UDP answer is truncated.
var DNSFallbackToTCP = Declare(OptionSpec{Name: "dns_fallback_to_tcp", Scopes: []string{GlobalScope}, Type: BoolType, Default: "false",
	Help: "ask again over TCP when a UDP answer is truncated; otherwise the truncated answer is used"})
