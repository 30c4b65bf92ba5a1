package config

import (
	"fmt"
	"strings"

	"msyshost/lib/typo"
)

// Check validates the whole tree against the registry: every scope kind is
// declared and opens where it may, with or without a name as its
// declaration says; every option is declared, valid in the scope it is set
// in, and of its type. Every problem is reported, each with file:line:col,
// so a migrator fixes a file in one pass (at most maxProblems, then a
// count). With lenient, unknown scopes and options (a migrator's whole
// ecelerity.conf, with modules msyshost does not have) come back as
// warnings instead, and an unknown scope's contents are not looked into;
// a known option in the wrong scope or with a bad value stays an error,
// since it would silently not apply, and so does an unknown name one slip
// of the fingers from an option of that scope (Max_Retrys).
func (c *Config) Check(lenient bool) (warnings []error, err error) {
	var errs []error
	walk := func(n *Node, kind string) {}
	walk = func(n *Node, kind string) {
		for _, o := range n.Options {
			spec, found := lookupOption(o.Name, kind)
			if spec == nil {
				near := nearOptions(o.Name, kind)
				e := errorf(o.Pos, "unknown option %q in %s%s", o.Name, scopeWords(n), didYouMean(near))
				if lenient && !(len(near) > 0 && typo.Distance(strings.ToLower(o.Name), strings.ToLower(near[0])) <= 1) {
					warnings = append(warnings, e)
				} else {
					errs = append(errs, e)
				}
				continue
			}
			if !found {
				errs = append(errs, errorf(o.Pos, "option %s is not valid in %s (valid in: %s)", spec.Name, scopeWords(n), strings.Join(scopesOf(o.Name), ", ")))
				continue
			}
			if err := spec.check(o.Value); err != nil {
				errs = append(errs, err)
			}
		}
		for _, ch := range n.Children {
			spec := lookupScope(ch.Kind)
			if spec == nil {
				e := errorf(ch.Pos, "unknown scope %s%s", ch.title(), scopeHint(ch.Kind))
				if lenient {
					warnings = append(warnings, e)
				} else {
					errs = append(errs, e)
				}
				continue
			}
			switch {
			case !containsFold(spec.Parents, kind):
				errs = append(errs, errorf(ch.Pos, "%s may not appear in %s (it belongs in: %s)", ch.title(), scopeWords(n), strings.Join(spec.Parents, ", ")))
				continue
			case spec.Name == NameRequired && !ch.Named:
				errs = append(errs, errorf(ch.Pos, "%s needs a name: %s \"name\" { }", spec.Kind, spec.Kind))
			case spec.Name == NameForbidden && ch.Named:
				errs = append(errs, errorf(ch.Pos, "%s takes no name, found %q", spec.Kind, ch.Name))
			}
			walk(ch, strings.ToLower(spec.Kind))
		}
	}
	walk(c.root, GlobalScope)
	return warnings, joinProblems(errs)
}

// maxProblems bounds the errors one Check reports.
const maxProblems = 50

// Problems is every error one Check found, one per line.
type Problems []error

func (p Problems) Error() string {
	var b strings.Builder
	for i, e := range p {
		if i == maxProblems {
			fmt.Fprintf(&b, "\n... and %d more", len(p)-maxProblems)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap gives errors.Is and errors.As every problem.
func (p Problems) Unwrap() []error { return p }

func joinProblems(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return Problems(errs)
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

// nearOptions lists the options declared for scope kind that name is a
// likely misspelling of, closest first.
func nearOptions(name, kind string) []string {
	_, opts := Registered()
	var names []string
	for i := range opts {
		if opts[i].validIn(kind) {
			names = append(names, opts[i].Name)
		}
	}
	return typo.Near(name, names)
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
