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
	PoolSize          int           // pool_size: most Lua states per generation, default 64
	CallTimeout       time.Duration // call_timeout: deadline of one hook call, default 5s
}

// Scripts returns every script stanza of every scriptlet block, in config
// order, which is the order hooks of the same name run in.
func (c *Config) Scripts() []Script { return append([]Script(nil), c.scripts...) }

// Scriptlet returns the scriptlet module's options.
func (c *Config) Scriptlet() Scriptlet { return c.scriptlet }

// scriptletOptions are the options of the scriptlet scope, declared once
// (their defaults are the Scriptlet a config without them gets), with how
// each is read into Scriptlet.
var scriptletOptions = []struct {
	spec *OptionSpec
	set  func(sl *Scriptlet, v Value) error
}{
	{Declare(OptionSpec{Name: "script_ttl", Scopes: []string{"scriptlet"}, Type: DurationType, Default: "300",
		Help: "accepted for compatibility: msyshost keeps a generation's code until a reload replaces it"}),
		func(sl *Scriptlet, v Value) (err error) { sl.ScriptTTL, err = v.Duration(); return }},
	{Declare(OptionSpec{Name: "gc_pause", Scopes: []string{"scriptlet"}, Type: IntType, Default: "200",
		Help: "accepted for compatibility (Lua 5.1 collector setting); Go's collector runs the states"}),
		func(sl *Scriptlet, v Value) (err error) { sl.GCPause, err = v.Int(); return }},
	{Declare(OptionSpec{Name: "gc_stepmul", Scopes: []string{"scriptlet"}, Type: IntType, Default: "200",
		Help: "accepted for compatibility (Lua 5.1 collector setting)"}),
		func(sl *Scriptlet, v Value) (err error) { sl.GCStepMul, err = v.Int(); return }},
	{Declare(OptionSpec{Name: "always_gc", Scopes: []string{"scriptlet"}, Type: BoolType, Default: "false",
		Help: "accepted for compatibility (obsolete in Momentum too)"}),
		func(sl *Scriptlet, v Value) (err error) { sl.AlwaysGC, err = v.Bool(); return }},
	{Declare(OptionSpec{Name: "reap_interval", Scopes: []string{"scriptlet"}, Type: DurationType, Default: "1",
		Help: "accepted for compatibility: the pool keeps its states"}),
		func(sl *Scriptlet, v Value) (err error) { sl.ReapInterval, err = v.Duration(); return }},
	{Declare(OptionSpec{Name: "max_spare_per_master", Scopes: []string{"scriptlet"}, Type: IntType, Default: "5000",
		Help: "accepted for compatibility: pool_size bounds the states"}),
		func(sl *Scriptlet, v Value) (err error) { sl.MaxSparePerMaster, err = v.Int(); return }},
	{Declare(OptionSpec{Name: "pool_size", Scopes: []string{"scriptlet"}, Type: IntType, Default: "64",
		Help: "msyshost's own: most Lua states per generation, default 64; as many as there are CPUs are built at a load, more when every state is busy"}),
		func(sl *Scriptlet, v Value) (err error) {
			if sl.PoolSize, err = v.Int(); err == nil && sl.PoolSize < 1 {
				err = v.errorf("must be at least 1, found %d", sl.PoolSize)
			}
			return
		}},
	{Declare(OptionSpec{Name: "call_timeout", Scopes: []string{"scriptlet"}, Type: DurationType, Default: "5",
		Help: "msyshost's own: deadline of one hook call; a call past it counts as CONTINUE and is logged"}),
		func(sl *Scriptlet, v Value) (err error) {
			if sl.CallTimeout, err = v.Duration(); err == nil && sl.CallTimeout <= 0 {
				err = v.errorf("must be longer than 0")
			}
			return
		}},
}

// checkScriptlet validates the scriptlet blocks strictly, because a script
// that is silently not loaded is a policy that silently does not run.
func (c *Config) checkScriptlet() error {
	for _, o := range scriptletOptions {
		if err := o.set(&c.scriptlet, o.spec.defaultValue()); err != nil {
			return err
		}
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
	for _, so := range scriptletOptions {
		if strings.EqualFold(so.spec.Name, o.Name) {
			return so.set(&c.scriptlet, o.Value)
		}
	}
	switch strings.ToLower(o.Name) {
	case "enabled":
		_, err := o.Value.Bool()
		return err
	case "debug_level":
		return nil
	}
	return errorf(o.Pos, "unknown scriptlet option %q", o.Name)
}
