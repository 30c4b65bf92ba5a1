package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Node is one scope of the config: the file itself (the root, Kind ""), an
// anonymous scope (`alerting { }`) or a named one (`Domain "example.com" { }`).
// Kind and Name keep their original spelling; compare kinds and option names
// with strings.EqualFold, as Momentum does.
type Node struct {
	Kind     string
	Name     string
	Named    bool // a name was given, even an empty one
	Pos      Pos  // where the scope was opened
	ReadOnly bool // read through readonly_include
	Options  []Option
	Children []*Node

	re *regexp.Regexp // set for a regex domain, Domain "/.../"
}

// Option is one `Name = value` line.
type Option struct {
	Name     string
	Value    Value
	Pos      Pos
	ReadOnly bool // read through readonly_include
}

// Regex returns the compiled pattern of a regex domain (`Domain "/re/" { }`),
// or nil for every other scope.
func (n *Node) Regex() *regexp.Regexp { return n.re }

// Get returns the option named name (case-insensitively) set directly in n.
// When it is set more than once the last one wins, so a later include
// overrides an earlier setting.
func (n *Node) Get(name string) (Option, bool) {
	for i := len(n.Options) - 1; i >= 0; i-- {
		if strings.EqualFold(n.Options[i].Name, name) {
			return n.Options[i], true
		}
	}
	return Option{}, false
}

// Scopes returns n's direct children of the given kind, compared
// case-insensitively, in config order.
func (n *Node) Scopes(kind string) []*Node {
	var out []*Node
	for _, c := range n.Children {
		if strings.EqualFold(c.Kind, kind) {
			out = append(out, c)
		}
	}
	return out
}

// Dump renders the tree in config syntax, every scalar quoted, each line
// followed by the position it came from; in each scope the options come
// before the child scopes. Golden tests compare against it.
func (n *Node) Dump() string {
	var b strings.Builder
	n.dump(&b, 0)
	return b.String()
}

func (n *Node) dump(b *strings.Builder, depth int) {
	ind := strings.Repeat("  ", depth)
	for _, o := range n.Options {
		fmt.Fprintf(b, "%s%s = %s  # %s%s\n", ind, o.Name, o.Value.syntax(), o.Pos, roMark(o.ReadOnly))
	}
	for _, c := range n.Children {
		head := c.Kind
		if c.Named {
			head += " " + strconv.Quote(c.Name)
		}
		fmt.Fprintf(b, "%s%s {  # %s%s\n", ind, head, c.Pos, roMark(c.ReadOnly))
		c.dump(b, depth+1)
		fmt.Fprintf(b, "%s}\n", ind)
	}
}

func roMark(ro bool) string {
	if ro {
		return " readonly"
	}
	return ""
}
