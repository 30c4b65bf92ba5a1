package config

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The registry: every scope and option msyshost reads is declared once,
// with where it may appear, its type, its default and a line of help. The
// declarations validate a config (Check) and print themselves (`msyshost
// config options`). Each package declares what it reads in its own init();
// a second declaration of the same name panics, because two readers of one
// option with different defaults is a bug.

// Type is what an option's value must be.
type Type int

const (
	StringType   Type = iota // any scalar
	BoolType                 // true/false, on/off, enabled/disabled, 1/0
	IntType                  // an integer as strtol reads it (0x.., 0..)
	DurationType             // a whole number with an optional unit; bare numbers are seconds
	ListType                 // a list, or a scalar read as a list of one
	DictType                 // a dictionary
	EnumType                 // one of Values, in any case
)

func (t Type) String() string {
	return [...]string{"string", "bool", "int", "duration", "list", "dict", "enum"}[t]
}

// Scope kinds of Momentum's fallback scopes. Module scopes use their own
// kind (`mstore`, `scriptlet`, `ESMTP_Listener`), compared case-insensitively.
const (
	GlobalScope       = "global" // the top level of the file
	DomainScope       = "domain"
	BindingScope      = "binding"
	BindingGroupScope = "binding_group"
)

// Fallback lists the scopes Eval falls back through, for options that may be
// set at any of them.
var Fallback = []string{GlobalScope, DomainScope, BindingScope, BindingGroupScope}

// NameRule says whether a scope takes an instance name.
type NameRule int

const (
	NameOptional NameRule = iota
	NameRequired
	NameForbidden
)

// ScopeSpec declares a scope kind and where it may open.
type ScopeSpec struct {
	Kind    string   // as documented, e.g. "Binding_Group", "mstore"
	Parents []string // kinds it may appear in; GlobalScope for the top level
	Name    NameRule
	// Module marks a Momentum module stanza, which takes Enabled and
	// Debug_Level as every module does (options declared in ModuleScopes).
	Module bool
	Help   string
}

// ModuleScopes, as an option's only scope, makes it valid in every module
// scope (ScopeSpec.Module).
const ModuleScopes = "any module"

// OptionSpec declares an option.
type OptionSpec struct {
	Name    string   // as documented, e.g. "Retry_Interval"
	Scopes  []string // kinds it may be set in (GlobalScope, DomainScope, a module kind...)
	Type    Type
	Values  []string // the accepted words of an EnumType
	Default string   // in config syntax; "" when the option has no default
	Help    string

	def *Value // Default, parsed once by Declare
}

var registry = struct {
	sync.RWMutex
	scopes map[string]*ScopeSpec
	// options holds every declaration of a name: Momentum reuses names
	// across module scopes (a timeout here and there), so one name may be
	// declared more than once for scopes that do not overlap.
	options map[string][]*OptionSpec
}{scopes: map[string]*ScopeSpec{}, options: map[string][]*OptionSpec{}}

// DeclareScope registers a scope kind. It panics on a second declaration.
func DeclareScope(s ScopeSpec) {
	registry.Lock()
	defer registry.Unlock()
	k := strings.ToLower(s.Kind)
	if _, dup := registry.scopes[k]; dup {
		panic("config: scope " + s.Kind + " declared twice")
	}
	registry.scopes[k] = &s
}

// Declare registers an option and returns it for typed reads. It panics on
// a second declaration of the same name for a scope already declared, or a
// default its type rejects.
func Declare(o OptionSpec) *OptionSpec {
	registry.Lock()
	defer registry.Unlock()
	k := strings.ToLower(o.Name)
	for _, have := range registry.options[k] {
		for _, sc := range o.Scopes {
			if containsFold(have.Scopes, sc) {
				panic("config: option " + o.Name + " declared twice for scope " + sc)
			}
		}
	}
	if len(o.Scopes) == 0 {
		panic("config: option " + o.Name + " declared without scopes")
	}
	if o.Default != "" {
		v := o.parseDefault()
		if err := o.check(v); err != nil {
			panic(fmt.Sprintf("config: default of %s: %v", o.Name, err))
		}
		o.def = &v
	}
	registry.options[k] = append(registry.options[k], &o)
	return &o
}

// Registered returns the declared scopes and options, sorted by name.
func Registered() ([]ScopeSpec, []OptionSpec) {
	registry.RLock()
	defer registry.RUnlock()
	var scopes []ScopeSpec
	for _, s := range registry.scopes {
		scopes = append(scopes, *s)
	}
	var opts []OptionSpec
	for _, decls := range registry.options {
		for _, o := range decls {
			opts = append(opts, *o)
		}
	}
	slices.SortFunc(scopes, func(a, b ScopeSpec) int { return strings.Compare(strings.ToLower(a.Kind), strings.ToLower(b.Kind)) })
	slices.SortFunc(opts, func(a, b OptionSpec) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return scopes, opts
}

// lookupOption returns the declaration of name for a scope kind, or, when
// no declaration covers that kind, any declaration of name (found false);
// nil when the name is not declared at all.
func lookupOption(name, kind string) (spec *OptionSpec, found bool) {
	registry.RLock()
	decls := registry.options[strings.ToLower(name)]
	registry.RUnlock()
	for _, o := range decls {
		if o.validIn(kind) {
			return o, true
		}
	}
	if len(decls) > 0 {
		return decls[0], false
	}
	return nil, false
}

// scopesOf lists every scope kind a name is declared for.
func scopesOf(name string) []string {
	registry.RLock()
	defer registry.RUnlock()
	var out []string
	for _, o := range registry.options[strings.ToLower(name)] {
		out = append(out, o.Scopes...)
	}
	return out
}

func lookupScope(kind string) *ScopeSpec {
	registry.RLock()
	defer registry.RUnlock()
	return registry.scopes[strings.ToLower(kind)]
}

// defaultValue is the default as a Value, positioned nowhere.
func (o *OptionSpec) defaultValue() Value {
	if o.def != nil {
		return *o.def
	}
	return o.parseDefault()
}

func (o *OptionSpec) parseDefault() Value {
	file := "default of " + o.Name
	v, err := value(newLexer(file, []byte(o.Default)), token{text: o.Name, pos: Pos{File: file, Line: 1, Col: 1}})
	if err != nil {
		panic(fmt.Sprintf("config: default of %s does not parse: %v", o.Name, err))
	}
	return v
}

// check converts v as the option's type says, returning the conversion's
// error.
func (o *OptionSpec) check(v Value) error {
	var err error
	switch o.Type {
	case StringType:
		_, err = v.scalar("a single value")
	case BoolType:
		_, err = v.Bool()
	case IntType:
		_, err = v.Int()
	case DurationType:
		_, err = v.Duration()
	case ListType:
		if v.Kind() == Dict {
			err = v.errorf("expected a list, found a dictionary")
		}
	case DictType:
		if v.Kind() != Dict {
			err = v.errorf("expected a dictionary [ key = value ... ]")
		}
	case EnumType:
		var s string
		if s, err = v.scalar("one of " + strings.Join(o.Values, ", ")); err == nil {
			if !slices.ContainsFunc(o.Values, func(w string) bool { return strings.EqualFold(w, s) }) {
				err = v.errorf("expected one of %s, found %q", strings.Join(o.Values, ", "), s)
			}
		}
	}
	return err
}

// validIn reports whether the option may be set in a scope of kind.
func (o *OptionSpec) validIn(kind string) bool {
	if slices.Contains(o.Scopes, ModuleScopes) {
		if s := lookupScope(kind); s != nil && s.Module {
			return true
		}
	}
	return slices.ContainsFunc(o.Scopes, func(s string) bool { return strings.EqualFold(s, kind) })
}

// Value returns the option's value for scope s with Momentum's fallback
// (Eval), or its default; ok is false when neither exists.
func (o *OptionSpec) Value(c *Config, s Scope) (v Value, ok bool) {
	if c != nil {
		if v, ok := c.Eval(s, o.Name); ok {
			return v, true
		}
	}
	if o.Default == "" {
		return Value{}, false
	}
	return o.defaultValue(), true
}

// In returns the option's value set directly in scope n, or its default.
func (o *OptionSpec) In(n *Node) (v Value, ok bool) {
	if n != nil {
		if opt, ok := n.Get(o.Name); ok {
			return opt.Value, true
		}
	}
	if o.Default == "" {
		return Value{}, false
	}
	return o.defaultValue(), true
}

// String returns the option's text for scope s, or "" when unset without
// a default.
func (o *OptionSpec) String(c *Config, s Scope) string {
	v, _ := o.Value(c, s)
	return v.String()
}

// Bool returns the option's boolean for scope s; false when unset without
// a default.
func (o *OptionSpec) Bool(c *Config, s Scope) (bool, error) {
	v, ok := o.Value(c, s)
	if !ok {
		return false, nil
	}
	return v.Bool()
}

// Int returns the option's integer for scope s; 0 when unset without a
// default.
func (o *OptionSpec) Int(c *Config, s Scope) (int, error) {
	v, ok := o.Value(c, s)
	if !ok {
		return 0, nil
	}
	return v.Int()
}

// Duration returns the option's duration for scope s; 0 when unset
// without a default.
func (o *OptionSpec) Duration(c *Config, s Scope) (time.Duration, error) {
	v, ok := o.Value(c, s)
	if !ok {
		return 0, nil
	}
	return v.Duration()
}
