package dialect

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"

	"msyshost/luahost/lua51"
)

// newTestState returns a state whose print and io.write append to out.
func newTestState(out *bytes.Buffer) *lua.LState {
	L := lua.NewState()
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				out.WriteByte('\t')
			}
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		out.WriteByte('\n')
		return 0
	}))
	io := L.GetGlobal("io").(*lua.LTable)
	io.RawSetString("write", L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		return 0
	}))
	return L
}

// runDialect runs src through Compile and Load, returning its output and
// the error message, if any.
func runDialect(t testing.TB, src, name string) string {
	t.Helper()
	var out bytes.Buffer
	L := newTestState(&out)
	defer L.Close()
	Open(L)
	proto, err := Compile([]byte(src), name)
	if err != nil {
		return out.String() + "compile error: " + err.Error() + "\n"
	}
	fn, err := Load(L, proto)
	if err != nil {
		t.Fatal(err)
	}
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		out.WriteString("error: " + errorMessage(err) + "\n")
	}
	return out.String()
}

// runGopher runs src with gopher-lua's own parser.
func runGopher(t testing.TB, src, name string) string {
	t.Helper()
	var out bytes.Buffer
	L := newTestState(&out)
	defer L.Close()
	fn, err := L.Load(strings.NewReader(src), name)
	if err != nil {
		return "compile error: " + err.Error() + "\n"
	}
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		out.WriteString("error: " + errorMessage(err) + "\n")
	}
	return out.String()
}

func errorMessage(err error) string {
	if ae, ok := err.(*lua.ApiError); ok {
		return ae.Object.String()
	}
	return err.Error()
}

// runLua51 runs src with the reference interpreter.
func runLua51(t testing.TB, src string) string {
	t.Helper()
	cmd := lua51.Command(t, "-")
	cmd.Stdin = strings.NewReader(src)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lua5.1: %v\n%s", err, out)
	}
	return string(out)
}

// dumpAST renders an AST with every node's Line and LastLine, for diffs.
func dumpAST(v any) string {
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(v), 0)
	return b.String()
}

func dumpValue(b *strings.Builder, v reflect.Value, depth int) {
	indent := strings.Repeat("  ", depth)
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		if ph, ok := v.Interface().(ast.PositionHolder); ok {
			fmt.Fprintf(b, "%s@%d-%d ", v.Elem().Type().Name(), ph.Line(), ph.LastLine())
		}
		dumpValue(b, v.Elem(), depth)
	case reflect.Slice:
		if v.IsNil() {
			b.WriteString("nil-slice")
			return
		}
		b.WriteString("[\n")
		for i := range v.Len() {
			b.WriteString(indent + "  ")
			dumpValue(b, v.Index(i), depth+1)
			b.WriteString("\n")
		}
		b.WriteString(indent + "]")
	case reflect.Struct:
		b.WriteString("{")
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Anonymous || !f.IsExported() {
				continue
			}
			fmt.Fprintf(b, " %s: ", f.Name)
			dumpValue(b, v.Field(i), depth+1)
		}
		b.WriteString(" }")
	default:
		fmt.Fprintf(b, "%#v", v.Interface())
	}
}

// gopherAST parses src with gopher-lua's parser.
func gopherAST(src, name string) ([]ast.Stmt, error) {
	return parse.Parse(strings.NewReader(src), name)
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths differ: %d vs %d lines", len(al), len(bl))
}

// parseLowered parses src as Compile does, lowerings included, and returns
// the AST without Compile's operator prologue.
func parseLowered(src []byte, name string) ([]ast.Stmt, error) {
	return newParser(src, name, true).parse()
}
