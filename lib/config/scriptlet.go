package config

import (
	"strings"
	"time"
)

// Script is one `script "name" { source = "a.b" }` stanza of the scriptlet
// module. Source is a module name, resolved by the Lua host.
type Script struct {
	Name   string
	Source string
	File   string
	Line   int
}

// Scriptlet holds the options of the `scriptlet "scriptlet" { }` scope, with
// Momentum's defaults where it sets none. The gc and reap options are
// accepted for compatibility; PoolSize and CallTimeout are msyshost's own.
type Scriptlet struct {
	ScriptTTL         time.Duration // script_ttl, default 300s
	GCPause           int           // gc_pause, default 200
	GCStepMul         int           // gc_stepmul, default 200
	AlwaysGC          bool          // always_gc, default false
	ReapInterval      time.Duration // reap_interval, default 1s (Momentum 4)
	MaxSparePerMaster int           // max_spare_per_master, default 5000
	PoolSize          int           // pool_size: Lua states in the pool; 0 lets the host choose
	CallTimeout       time.Duration // call_timeout: deadline of one hook call; 0 lets the host choose
}

// Scripts returns every script stanza of every scriptlet block, in config
// order, which is the order hooks of the same name run in.
func (c *Config) Scripts() []Script { return append([]Script(nil), c.scripts...) }

// Scriptlet returns the scriptlet module's options.
func (c *Config) Scriptlet() Scriptlet { return c.scriptlet }

// checkScriptlet validates the scriptlet blocks strictly, because a script
// that is silently not loaded is a policy that silently does not run.
func (c *Config) checkScriptlet() error {
	c.scriptlet = Scriptlet{
		ScriptTTL:         300 * time.Second,
		GCPause:           200,
		GCStepMul:         200,
		ReapInterval:      time.Second,
		MaxSparePerMaster: 5000,
	}
	seen := map[string]Pos{}
	for _, sl := range c.root.Scopes("scriptlet") {
		if !sl.Named || sl.Name != "scriptlet" {
			return errorf(sl.Pos, "%s: the scriptlet module has one instance, written scriptlet \"scriptlet\" { }", sl.title())
		}
		for _, o := range sl.Options {
			if err := c.scriptletOption(o); err != nil {
				return err
			}
		}
		for _, ch := range sl.Children {
			s, err := script(ch)
			if err != nil {
				return err
			}
			if first, dup := seen[s.Name]; dup {
				return errorf(ch.Pos, "script %q is already defined at %s", s.Name, first)
			}
			seen[s.Name] = ch.Pos
			c.scripts = append(c.scripts, s)
		}
	}
	return nil
}

func script(n *Node) (Script, error) {
	if !strings.EqualFold(n.Kind, "script") {
		return Script{}, errorf(n.Pos, "unexpected scope %s in scriptlet: only script \"name\" { source = \"module\" } stanzas belong there", n.title())
	}
	if !n.Named || n.Name == "" {
		return Script{}, errorf(n.Pos, "script needs a name: script \"name\" { source = \"module\" }")
	}
	if len(n.Children) > 0 {
		return Script{}, errorf(n.Children[0].Pos, "unexpected scope %s in %s: a script has only a source", n.Children[0].title(), n.title())
	}
	s := Script{Name: n.Name, File: n.Pos.File, Line: n.Pos.Line}
	for _, o := range n.Options {
		if !strings.EqualFold(o.Name, "source") {
			return Script{}, errorf(o.Pos, "unknown option %q in %s: a script has only a source", o.Name, n.title())
		}
		if o.Value.Kind() != Scalar || o.Value.String() == "" {
			return Script{}, errorf(o.Pos, "source of %s must be a module name such as \"policy.hooks\"", n.title())
		}
		s.Source = o.Value.String()
	}
	if s.Source == "" {
		return Script{}, errorf(n.Pos, "%s has no source: add source = \"module.name\"", n.title())
	}
	return s, nil
}

func (c *Config) scriptletOption(o Option) error {
	v, sl := o.Value, &c.scriptlet
	var err error
	switch strings.ToLower(o.Name) {
	case "script_ttl":
		sl.ScriptTTL, err = v.Duration()
	case "gc_pause":
		sl.GCPause, err = v.Int()
	case "gc_stepmul":
		sl.GCStepMul, err = v.Int()
	case "always_gc":
		sl.AlwaysGC, err = v.Bool()
	case "reap_interval":
		sl.ReapInterval, err = v.Duration()
	case "max_spare_per_master":
		sl.MaxSparePerMaster, err = v.Int()
	case "pool_size":
		sl.PoolSize, err = v.Int()
		if err == nil && sl.PoolSize < 1 {
			err = v.errorf("must be at least 1, found %d", sl.PoolSize)
		}
	case "call_timeout":
		sl.CallTimeout, err = v.Duration()
		if err == nil && sl.CallTimeout <= 0 {
			err = v.errorf("must be longer than 0")
		}
	case "enabled":
		_, err = v.Bool()
	case "debug_level":
	default:
		err = errorf(o.Pos, "unknown scriptlet option %q", o.Name)
	}
	return err
}
