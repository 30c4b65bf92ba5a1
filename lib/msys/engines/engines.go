// Package engines registers the Momentum modules that need an engine,
// service or module msyshost cannot have (licensed anti-spam and antivirus
// engines, DKIM signing with the operator's keys and libraries, push
// gateways, aggregators): require of one fails at once, saying what it
// needs, so a migrated script stops at the line that needs it instead of
// running on with an empty table or a made-up verdict.
package engines

import "msyshost/luahost"

var unavailable = map[string]string{
	"msys.cloudmark":             "the Cloudmark Authority anti-spam engine (licensed)",
	"msys.av":                    "an antivirus engine loaded into Momentum (ClamAV, Sophos, Symantec CSAPI ...)",
	"msys.brightmail":            "the Symantec Brightmail anti-spam engine (licensed)",
	"msys.symantec_beik":         "the Symantec Brightmail Engine Integration Kit (licensed)",
	"msys.expurgate":             "the eleven eXpurgate classification service (licensed)",
	"msys.commtouch":             "the Commtouch (Cyren) anti-spam engine (licensed)",
	"msys.spamc":                 "a SpamAssassin spamd service wired into Momentum's spamc module",
	"msys.validate.dk":           "Momentum's DomainKeys module and the signing keys it is configured with",
	"msys.sign.dk":               "Momentum's DomainKeys module and the signing keys it is configured with",
	"msys.validate.dkim":         "Momentum's DKIM module and the signing keys it is configured with",
	"msys.validate.opendkim":     "Momentum's OpenDKIM module (libopendkim) and the signing keys it is configured with",
	"opendkim.dkim":              "Momentum's OpenDKIM module (libopendkim) and the signing keys it is configured with",
	"msys.validate.openarc":      "Momentum's OpenARC module (libopenarc) and the sealing keys it is configured with",
	"msys.validate.dkim2":        "Momentum's DKIM2 module and the signing keys it is configured with",
	"msys.gcm":                   "Google's push gateway (GCM/FCM) and the sender credentials Momentum's gcm module holds",
	"msys.apn":                   "Apple's push gateway (APNs) and the certificates Momentum's apn module holds",
	"msys.xmpp":                  "Momentum's XMPP delivery module and an XMPP server",
	"msys.aggregator.mblox":      "the mBlox SMS aggregator's operator lookup service (an account with mBlox)",
	"msys.mcmt.collector":        "Momentum's multi-channel (MCMT) collector module",
	"msys.adaptive":              "Momentum's adaptive delivery module and its rules",
	"msys.beta.rcptto_proxy":     "Momentum's beta smtp_rcptto_proxy module and the remote MTA it asks",
	"msys.beta.chunk_logger_int": "Momentum's beta chunk_logger module",
}

func init() {
	for name, needs := range unavailable {
		luahost.Register(luahost.Binding{Name: name, Unavailable: "needs " + needs})
	}
}
