package dialect

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// TestChunkStaysMain: the user chunk is the main function: ... holds the
// arguments, the global arg is not shadowed, and a chunk whose environment
// makes every global access fail (strict.lua, sandboxes) still reaches the
// operators.
func TestChunkStaysMain(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("arg", lua.LString("global arg"))
	proto, err := Compile([]byte(`
local n = select("#", ...)
setfenv(1, setmetatable({}, {__index = function(_, k) error("global " .. k .. " read", 2) end}))
return n, ..., arg, 6 & 3, 1 .. ""
`), "main.lua")
	if err != nil {
		t.Fatal(err)
	}
	fn, err := Load(L, proto)
	if err != nil {
		t.Fatal(err)
	}
	L.Push(fn)
	L.Push(lua.LString("a"))
	L.Push(lua.LString("b"))
	if err := L.PCall(2, lua.MultRet, nil); err == nil {
		t.Fatal("reading the global arg through the strict environment did not fail")
	} else if msg := errorMessage(err); !strings.HasPrefix(msg, "main.lua:") || !strings.HasSuffix(msg, ": global arg read") {
		t.Errorf("got %q", msg)
	}

	proto, err = Compile([]byte(`return select("#", ...), ..., arg, 6 & 3, 1 .. ""`), "main.lua")
	if err != nil {
		t.Fatal(err)
	}
	fn, _ = Load(L, proto)
	L.SetTop(0)
	L.Push(fn)
	L.Push(lua.LString("a"))
	L.Push(lua.LString("b"))
	L.Call(2, lua.MultRet)
	got := ""
	for i := 1; i <= L.GetTop(); i++ {
		got += L.Get(i).String() + ";"
	}
	if want := "2;a;global arg;2;1;"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestSharedProto: one proto, many states, concurrently.
func TestSharedProto(t *testing.T) {
	proto, err := Compile([]byte(`local n = ... return (n << 1) .. ":" .. (n ^^ 1)`), "shared.lua")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			L := lua.NewState()
			defer L.Close()
			for i := range 100 {
				fn, err := Load(L, proto)
				if err != nil {
					errs <- err
					return
				}
				n := g*1000 + i
				L.Push(fn)
				L.Push(lua.LNumber(n))
				L.Call(1, 1)
				if got, want := L.Get(-1).String(), fmt.Sprintf("%d:%d", n<<1, n^1); got != want {
					errs <- fmt.Errorf("got %s, want %s", got, want)
					return
				}
				L.Pop(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestParse: the AST has the lowered calls; errors are SyntaxErrors.
func TestParse(t *testing.T) {
	stmts, err := parseLowered([]byte("x = a & b"), "p.lua")
	if err != nil {
		t.Fatal(err)
	}
	call, ok := stmts[0].(*ast.AssignStmt).Rhs[0].(*ast.FuncCallExpr)
	if !ok || call.Func.(*ast.IdentExpr).Value != "(band)" || len(call.Args) != 3 {
		t.Errorf("a & b parsed as %s", dumpAST(stmts))
	}
	_, err = parseLowered([]byte("x = a &"), "p.lua")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Error() != "p.lua:1:8: unexpected symbol near '<eof>'" {
		t.Errorf("got %v", err)
	}
}

// TestRuntimeErrorPosition: runtime errors carry path:line of the chunk.
func TestRuntimeErrorPosition(t *testing.T) {
	got := runDialect(t, "local x = 1\n\nlocal y = x &\n  nil\n", "/etc/msys/policy.lua")
	if want := "error: /etc/msys/policy.lua:4: attempt to perform bitwise operation on a nil value\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestPrologueSurvivesFirstStatement: whatever the chunk starts with, the
// prologue compiles to the instructions bindOps expects.
func TestPrologueSurvivesFirstStatement(t *testing.T) {
	for _, first := range []string{
		"local a", "local a = nil", "local a = false", "local a, b = false, nil", "x = nil",
		"do end", "local function f() end", "a = ...", "local a = ...",
		"while false do end", "for i = 1, 0 do end", "if x then end", "",
	} {
		src := first + "\nreturn 1 & 1, 1 .. 2, ~1, 1 | 1, 1 ^^ 1, 1 << 1, 1 >> 1, 1 \\ 1"
		if _, err := Compile([]byte(src), "first.lua"); err != nil {
			t.Errorf("%q: %v", first, err)
		}
	}
}
