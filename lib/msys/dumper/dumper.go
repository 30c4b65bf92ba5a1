// Package dumper is the Lua module msys.dumper: Dumper(v) renders a value as
// the Lua chunk that rebuilds it, for debugging.
package dumper

import (
	"fmt"
	"math"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
	"msyshost/luahost/puc"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.dumper", Open: open, Notes: map[string]string{
		"msys.dumper.Dumper": "msyshost's own layout: keys sorted, two-space indents; functions, userdata and threads appear as comments",
	}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{"Dumper": luahost.Func("Dumper", dump)})
	return t
}

// msys.dumper.Dumper(v) → "return <v>": strings quoted as %q quotes them,
// numbers as PUC prints them (inf, -inf and nan as expressions), tables
// with their keys sorted (numbers first) and indented, a table met again
// inside itself as a comment. Loading the result rebuilds plain data.
func dump(a luahost.Args) int {
	var b strings.Builder
	b.WriteString("return ")
	d := dumper{L: a.L, b: &b, seen: map[*lua.LTable]bool{}}
	d.value(a.Any(1), 0)
	return a.Push(lua.LString(b.String()))
}

type dumper struct {
	L    *lua.LState
	b    *strings.Builder
	seen map[*lua.LTable]bool
}

func (d *dumper) value(v lua.LValue, depth int) {
	switch x := v.(type) {
	case *lua.LNilType:
		d.b.WriteString("nil")
	case lua.LBool:
		d.b.WriteString(x.String())
	case lua.LNumber:
		f := float64(x)
		switch {
		case f != f:
			d.b.WriteString("0/0")
		case math.IsInf(f, 1):
			d.b.WriteString("1/0")
		case math.IsInf(f, -1):
			d.b.WriteString("-1/0")
		default:
			d.b.WriteString(puc.FormatNumber(f))
		}
	case lua.LString:
		d.b.WriteString(quote(string(x)))
	case *lua.LTable:
		d.table(x, depth)
	default:
		fmt.Fprintf(d.b, "nil --[[ %s ]]", strings.ReplaceAll(d.L.ToStringMeta(v).String(), "]]", "] ]"))
	}
}

func (d *dumper) table(t *lua.LTable, depth int) {
	if d.seen[t] {
		d.b.WriteString("nil --[[ the table itself, again ]]")
		return
	}
	d.seen[t] = true
	defer delete(d.seen, t)
	type kv struct{ k, v lua.LValue }
	var pairs []kv
	t.ForEach(func(k, v lua.LValue) { pairs = append(pairs, kv{k, v}) })
	if len(pairs) == 0 {
		d.b.WriteString("{}")
		return
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		ki, kj := pairs[i].k, pairs[j].k
		ni, iNum := ki.(lua.LNumber)
		nj, jNum := kj.(lua.LNumber)
		switch {
		case iNum && jNum:
			return ni < nj
		case iNum != jNum:
			return iNum
		}
		return ki.String() < kj.String()
	})
	pad := strings.Repeat("  ", depth+1)
	d.b.WriteString("{\n")
	for _, p := range pairs {
		d.b.WriteString(pad)
		if s, ok := p.k.(lua.LString); ok && isName(string(s)) {
			d.b.WriteString(string(s))
		} else {
			d.b.WriteString("[")
			d.value(p.k, depth+1)
			d.b.WriteString("]")
		}
		d.b.WriteString(" = ")
		d.value(p.v, depth+1)
		d.b.WriteString(",\n")
	}
	d.b.WriteString(strings.Repeat("  ", depth))
	d.b.WriteString("}")
}

var keywords = map[string]bool{"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "if": true, "in": true, "local": true, "nil": true, "not": true,
	"or": true, "repeat": true, "return": true, "then": true, "true": true, "until": true, "while": true}

func isName(s string) bool {
	if s == "" || keywords[s] {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// quote writes s as Lua source, as string.format("%q") does but on one
// line: newlines and other control bytes as decimal escapes.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString("\\n")
		case c < 32 || c == 127:
			// Three digits, so a digit after it is not read as part of it.
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
