package config

import (
	"fmt"
	"strings"

	"msyshost/lib/typo"
)

// Check validates the whole tree against the registry: every scope kind is
// declared and opens where it may, with or without a name as its
// declaration says; every option is declared, valid in the scope it is set
// in, and of its type. Errors carry file:line:col. With lenient, unknown
// scopes and options (a migrator's whole ecelerity.conf, with modules
// msyshost does not have) come back as warnings instead, and an unknown
// scope's contents are not looked into; a known option in the wrong scope
// or with a bad value stays an error, since it would silently not apply.
func (c *Config) Check(lenient bool) (warnings []error, err error) {
	var walk func(n *Node, kind string) error
	walk = func(n *Node, kind string) error {
		for _, o := range n.Options {
			spec, found := lookupOption(o.Name, kind)
			if spec == nil {
				e := errorf(o.Pos, "unknown option %q in %s%s", o.Name, scopeWords(n), optionHint(o.Name))
				if !lenient {
					return e
				}
				warnings = append(warnings, e)
				continue
			}
			if !found {
				return errorf(o.Pos, "option %s is not valid in %s (valid in: %s)", spec.Name, scopeWords(n), strings.Join(scopesOf(o.Name), ", "))
			}
			if err := spec.check(o.Value); err != nil {
				return err
			}
		}
		for _, ch := range n.Children {
			spec := lookupScope(ch.Kind)
			if spec == nil {
				e := errorf(ch.Pos, "unknown scope %s%s", ch.title(), scopeHint(ch.Kind))
				if !lenient {
					return e
				}
				warnings = append(warnings, e)
				continue
			}
			if !containsFold(spec.Parents, kind) {
				return errorf(ch.Pos, "%s may not appear in %s (it belongs in: %s)", ch.title(), scopeWords(n), strings.Join(spec.Parents, ", "))
			}
			switch {
			case spec.Name == NameRequired && !ch.Named:
				return errorf(ch.Pos, "%s needs a name: %s \"name\" { }", spec.Kind, spec.Kind)
			case spec.Name == NameForbidden && ch.Named:
				return errorf(ch.Pos, "%s takes no name, found %q", spec.Kind, ch.Name)
			}
			if err := walk(ch, strings.ToLower(spec.Kind)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(c.root, GlobalScope); err != nil {
		return warnings, err
	}
	return warnings, nil
}

func scopeWords(n *Node) string {
	if n.Kind == "" {
		return "the global scope"
	}
	return n.title()
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func optionHint(name string) string {
	_, opts := Registered()
	names := make([]string, len(opts))
	for i, o := range opts {
		names[i] = o.Name
	}
	return didYouMean(typo.Near(name, names))
}

func scopeHint(kind string) string {
	scopes, _ := Registered()
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = s.Kind
	}
	return didYouMean(typo.Near(kind, names))
}

func didYouMean(near []string) string {
	if len(near) == 0 {
		return ""
	}
	if len(near) > 3 {
		near = near[:3]
	}
	return fmt.Sprintf("; did you mean %s?", strings.Join(near, " or "))
}
