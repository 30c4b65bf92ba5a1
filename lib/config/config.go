// Package config owns msyshost's configuration: it parses Momentum's
// ecelerity.conf syntax unchanged, so migrators bring their config fragments
// over as they are, and answers the questions the rest of msyshost asks of
// it: the Lua scripts to load (Scripts, Scriptlet), the message store
// (Mstore), and per-domain/binding option values with Momentum's fallback
// (Eval).
//
// The syntax, as Momentum documents it (ecelerity.conf, conf.ref.domain):
//
//	Name = value                      # an option; names are case-insensitive
//	alerting { }                      # an anonymous scope
//	Domain "example.com" { }          # a named scope; the name may be unquoted
//	Domain "/\.example\.net$/" { }    # a regex domain
//	Relay_Hosts = ( 127.0.0.0/8 "10.0.0.0/8" )   # a list
//	context = [ k = "v" k2 = w ]      # a dictionary
//	/* a comment; these do not nest */
//	include "conf.d"                  # a file, or a directory's files
//	readonly_include "site.conf"      # the same, marked read-only
//
// Quoted strings use double or single quotes and may span lines. Inside them
// \n, \t, \r, \\ and an escaped quote are translated and every other
// backslash pair is kept, so regex domains need no doubled backslashes.
// Unquoted scalars run to whitespace, a quote, '#' or one of = { } ( ) [ ].
// A "/*" directly after an unquoted scalar is an error, not a comment:
// `Log_Glob = /var/log/*.log` would otherwise open a comment that silently
// swallows the config up to the next "*/". Such values must be quoted, as
// Momentum requires; comments start after whitespace or punctuation.
// List items and dictionary values are scalars; nested lists are not
// supported. An option set twice in one scope keeps both in the tree and the
// last one wins in lookups.
//
// Unknown scopes and options are kept (Momentum has hundreds); Unknown lists
// them so the caller can warn. The scriptlet scope is checked strictly at
// parse time and mstore when Mstore is called.
package config

import "strings"

// Config is a parsed configuration. It is not changed after Parse or Load
// returns, so it is safe for concurrent use; a reload builds a new one.
type Config struct {
	root      *Node
	scripts   []Script
	scriptlet Scriptlet
	files     []string
}

// Root returns the top of the node tree: the global scope.
func (c *Config) Root() *Node { return c.root }

// Files returns what a reloader watches: the loaded file first, then, in
// the order read, each included file and each included directory (listed
// before its files), so a file dropped into an included directory is seen.
func (c *Config) Files() []string { return append([]string(nil), c.files...) }

// Options msyshost reads through Eval. Their values are checked only when
// read, with the Value conversions.
const (
	// SMPPRegisteredDelivery, per domain/binding: the registered_delivery
	// request of submit_sm, for example "SMSC_Delivery".
	SMPPRegisteredDelivery = "smpp_registered_delivery"
	// MM7DeliveryReport (bool): ask the MMSC for delivery reports.
	MM7DeliveryReport = "mm7_delivery_report"
	// MM7MstoreSaveMessage (bool, default true): keep MM7 submissions in
	// mstore for the retry feature.
	MM7MstoreSaveMessage = "mm7_mstore_save_message"
	// MM7MstoreBucketUseShortcode (bool, global, default true): bucket MM7
	// messages as MADR-<shortcode> rather than MADR-MM7.
	MM7MstoreBucketUseShortcode = "mm7_mstore_bucket_use_shortcode"
	// SMPPSubmitResponseMessageIDFormat: how the SMSC writes the id in
	// submit_sm_resp: "string", "decimal" or "hexadecimal".
	SMPPSubmitResponseMessageIDFormat = "smpp_submit_response_message_id_format"
	// SMPPDeliveryReceiptMessageIDFormat: the same for the id in a delivery
	// receipt.
	SMPPDeliveryReceiptMessageIDFormat = "smpp_delivery_receipt_message_id_format"
)

// evalOptions are the options msyshost reads; everything else outside the
// scopes this package checks is reported by Unknown.
var evalOptions = map[string]bool{
	SMPPRegisteredDelivery:             true,
	MM7DeliveryReport:                  true,
	MM7MstoreSaveMessage:               true,
	MM7MstoreBucketUseShortcode:        true,
	SMPPSubmitResponseMessageIDFormat:  true,
	SMPPDeliveryReceiptMessageIDFormat: true,
	// The MM7 channel's options (lib/mm7client/options.go) and the MM7
	// server's (lib/mm7server/options.go), which cannot be imported here.
	"mm7_vaspid": true, "mm7_vasid": true, "mm7_sender_address": true, "mm7_service_code": true,
	"mm7_message_class": true, "mm7_read_reply": true, "mm7_number_prefix": true, "mm7_version": true,
	"mm7_xml_schema": true, "mm7_namespace": true, "mm7_soap_env": true, "mm7_use_namespace_in_body": true,
	"mm7_soap_attachment_simple_mime": true, "mm7_response_timer": true, "mm7_reply_charging": true,
	"mm7_reply_charging_size": true, "mm7_reply_deadline": true, "routes": true, "http_uri": true,
	"http_host": true, "http_basic_auth": true, "mm7_mmsc_server": true, "mm7_mmsc_port": true,
	"mm7_mmsc_path": true, "mm7_http_auth_user": true, "mm7_http_auth_password": true,
	"mm7_vasp_uri_paths": true, "mm7_server_version": true, "mm7_server_default_email_from_address": true,
	"mm7_server_default_email_from_domain": true, "mm7_server_default_email_to_address": true,
	"mm7_server_default_email_to_domain": true, "mm7_server_basic_auth": true,
}

// checkedScopes are global scopes whose options this package validates
// itself, so they never count as unknown.
var checkedScopes = map[string]bool{"scriptlet": true, "mstore": true}

// Unknown returns, in config order, every option msyshost does not read: the
// options of other Momentum modules and settings it does not implement. The
// caller logs them as a warning; they are not errors.
func (c *Config) Unknown() []Option {
	var out []Option
	var walk func(n *Node)
	walk = func(n *Node) {
		for _, o := range n.Options {
			if !evalOptions[strings.ToLower(o.Name)] {
				out = append(out, o)
			}
		}
		for _, ch := range n.Children {
			if n == c.root && checkedScopes[strings.ToLower(ch.Kind)] {
				continue
			}
			walk(ch)
		}
	}
	walk(c.root)
	return out
}
