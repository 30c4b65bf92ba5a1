package config

// DefaultBinding is the binding a message has when policy chose none;
// Momentum's msg:binding accepts its name even when no scope declares it.
const DefaultBinding = "default"

// HasBinding reports whether name is a binding policy may choose: one
// declared at the top level or inside a Binding_Group, or "default".
func (c *Config) HasBinding(name string) bool {
	if name == DefaultBinding {
		return true
	}
	if len(named([]*Node{c.root}, "binding", name)) > 0 {
		return true
	}
	return len(named(c.root.Scopes("binding_group"), "binding", name)) > 0
}

// BindingGroup returns the bindings declared in the Binding_Group named
// name, in config order; ok is false when there is no such group.
func (c *Config) BindingGroup(name string) (bindings []string, ok bool) {
	for _, g := range named([]*Node{c.root}, "binding_group", name) {
		ok = true
		for _, b := range g.Scopes("binding") {
			if b.Named {
				bindings = append(bindings, b.Name)
			}
		}
	}
	return bindings, ok
}
