// Package validate declares the msys.validate.* modules Momentum's
// reception examples require, none of which msyshost can provide: each
// signs or verifies DomainKeys/DKIM signatures with an engine and keys the
// MTA configures (its domainkeys, dkim and opendkim modules). require fails
// at once naming what is missing, rather than returning a table whose
// functions fail later or fake a verdict.
package validate

import "msyshost/luahost"

func init() {
	for name, why := range map[string]string{
		"msys.validate.dk":       "needs Momentum's domainkeys module (DomainKeys signing with the keys configured in it); msyshost has no DomainKeys engine",
		"msys.validate.dkim":     "needs Momentum's dkim module (DKIM signing with its configured keys, and the verification results it keeps per message); msyshost has no DKIM engine",
		"msys.validate.opendkim": "needs Momentum's opendkim module (libopendkim signing and verification with its configured keys); msyshost has no DKIM engine",
		"opendkim.dkim":          "is the libopendkim binding of Momentum's opendkim module; msyshost has no DKIM engine",
	} {
		luahost.Register(luahost.Binding{Name: name, Unavailable: why})
	}
}
