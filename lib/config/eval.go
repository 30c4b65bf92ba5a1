package config

import "strings"

// Scope says where an option is being looked up: the binding group, binding
// and recipient domain of a message. Empty fields skip their levels.
// Binding and binding group names compare exactly; domain names
// case-insensitively.
type Scope struct {
	BindingGroup string
	Binding      string
	Domain       string
}

// Eval looks option up with Momentum's fallback, most specific first:
//
//  1. binding_group::binding::domain
//  2. binding::domain
//  3. binding_group::domain
//  4. binding (inside the group, then at top level)
//  5. binding_group
//  6. global domain
//  7. global
//
// Momentum's documented list omits binding_group; its own example shows it
// between binding and global domain, so it is placed there. When
// s.BindingGroup is empty and s.Binding is declared inside a Binding_Group,
// that group is used.
//
// At each domain level an exact Domain stanza wins, per option; otherwise the
// regex domains of that scope are tried in declaration order and the first
// that matches and sets the option wins. Patterns are Go regexp (RE2) syntax
// matched case-insensitively: PCRE's backreferences, lookaround, possessive
// quantifiers and \Z are not available and are reported when the config is
// parsed. Patterns are not anchored for you; anchor them with ^ and $.
//
// Eval applies no defaults: ok is false when no level sets the option.
func (c *Config) Eval(s Scope, option string) (v Value, ok bool) {
	root := []*Node{c.root}
	bg := s.BindingGroup
	if bg == "" && s.Binding != "" {
		bg = c.groupOf(s.Binding)
	}
	var groups, groupBindings, bindings []*Node
	if bg != "" {
		groups = named(root, "binding_group", bg)
	}
	if s.Binding != "" {
		groupBindings = named(groups, "binding", s.Binding)
		bindings = named(root, "binding", s.Binding)
	}
	type level struct {
		scopes []*Node
		domain bool
	}
	for _, l := range []level{
		{groupBindings, true},
		{bindings, true},
		{groups, true},
		{groupBindings, false},
		{bindings, false},
		{groups, false},
		{root, true},
		{root, false},
	} {
		if l.domain {
			if s.Domain == "" {
				continue
			}
			if o, ok := domainLookup(l.scopes, s.Domain, option); ok {
				return o.Value, true
			}
		} else if o, ok := lookup(l.scopes, option); ok {
			return o.Value, true
		}
	}
	return Value{}, false
}

// groupOf returns the first binding group declaring binding, or "".
func (c *Config) groupOf(binding string) string {
	for _, g := range c.root.Scopes("binding_group") {
		if g.Named && len(named([]*Node{g}, "binding", binding)) > 0 {
			return g.Name
		}
	}
	return ""
}

// named returns the children of parents with the given kind and exact name.
func named(parents []*Node, kind, name string) []*Node {
	var out []*Node
	for _, p := range parents {
		for _, ch := range p.Scopes(kind) {
			if ch.Named && ch.Name == name {
				out = append(out, ch)
			}
		}
	}
	return out
}

// lookup finds option in scopes that are one scope split over several
// stanzas; the last setting wins.
func lookup(scopes []*Node, option string) (Option, bool) {
	for i := len(scopes) - 1; i >= 0; i-- {
		if o, ok := scopes[i].Get(option); ok {
			return o, true
		}
	}
	return Option{}, false
}

func domainLookup(containers []*Node, domain, option string) (Option, bool) {
	var exact []*Node
	for _, ct := range containers {
		for _, d := range ct.Scopes("domain") {
			if d.re == nil && d.Named && strings.EqualFold(d.Name, domain) {
				exact = append(exact, d)
			}
		}
	}
	if o, ok := lookup(exact, option); ok {
		return o, true
	}
	for _, ct := range containers {
		for _, d := range ct.Scopes("domain") {
			if d.re == nil || !d.re.MatchString(domain) {
				continue
			}
			if o, ok := d.Get(option); ok {
				return o, true
			}
		}
	}
	return Option{}, false
}
