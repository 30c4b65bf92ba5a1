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
// Parsing keeps every scope and option; Check then validates the tree
// against the registry of declared scopes and options (registry.go), where
// each package declares what it reads. The scriptlet scope is also checked
// strictly at parse time and mstore when Mstore is called.
package config

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
