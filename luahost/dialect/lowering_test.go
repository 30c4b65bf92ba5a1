package dialect

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/yuin/gopher-lua/ast"
)

// TestLowered: multiple assignment, numeric for bounds and ^ behave as in
// lua5.1, where gopher-lua's own compiler differs.
func TestLowered(t *testing.T) {
	want := sameAsLua51(t, "testdata/lowered.lua")
	src, err := os.ReadFile("testdata/lowered.lua")
	if err != nil {
		t.Fatal(err)
	}
	if gopher := runGopher(t, string(src), "t"); gopher == want {
		t.Error("gopher-lua's own compiler already gets testdata/lowered.lua right: the test no longer shows the lowering")
	}
}

// TestLoweringShape: a single assignment and numeral for bounds cost
// nothing; a multiple assignment becomes a block.
func TestLoweringShape(t *testing.T) {
	stmts, err := parseLowered([]byte("a = b\nfor i = 1, -2, 3 do end\na, b = b, a"), "s.lua")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := stmts[0].(*ast.AssignStmt); !ok {
		t.Errorf("single assignment lowered: %s", dumpAST(stmts[0]))
	}
	if f, ok := stmts[1].(*ast.NumberForStmt); !ok || !isNumeral(f.Init) || !isNumeral(f.Limit) || !isNumeral(f.Step) {
		t.Errorf("numeral for bounds lowered: %s", dumpAST(stmts[1]))
	}
	if _, ok := stmts[2].(*ast.DoBlockStmt); !ok {
		t.Errorf("multiple assignment not lowered: %s", dumpAST(stmts[2]))
	}
}

// TestLoweringFitsRegisters: near gopher-lua's limit of 200 registers a
// function PUC and gopher-lua compile still compiles: lowerings whose
// hidden locals would not fit are left out.
func TestLoweringFitsRegisters(t *testing.T) {
	tails := []string{
		"v0, v1, v2, v3 = v3, v2, v1, v0\nfor i = v1, v2 do for j = v1, v2 do v0, v1 = v1, v0 end end",
		"for i = v1, v2 do for j = v1, v2 do local a, b, c, d = 1 end end",
		"for i = v1, v2, v3 do local a, b = 1; for j = v1, v2 do v4, v5, v6, v7, v8 = v8, v7, v6, v5, v4 end; local e, f end",
		// A lowered call holds its function and descriptor besides the
		// operands, two registers more than OP_CONCAT and OP_POW.
		"print(v1 .. v150 .. v2)",
		"local s = v1 .. v2 .. v3 .. v4 .. v5 .. v6 .. v7 .. v8 .. v9 .. v10 print(s)",
		"print(v1 ^ v2, v3 .. (v4 ^ v5), -v6 ^ v7 .. v8)",
		"local t = {v1 .. v2, v3 .. v4, [v5 .. v6] = v7 ^ v8, k = v9 .. v1} print(t[1], t[v5 .. v6], t.k)",
		"local s = tostring(v1) print(s:rep(2, v3 .. v4) .. v2 .. v3, (s:rep(2)))",
		"local t = {} t[v1 .. v2] = v3 .. v4 t.x, t[v5 .. v6] = v1 ^ v2, v3 .. v4 print(t[v1 .. v2], t.x)",
		"print(select('#', v1 .. v2, v3 .. v4, v5 .. v6, v7 .. v8), (v1 .. v2) .. (v3 .. v4))",
		// Deep operands: everything under a lowered call is two registers higher.
		"local s = {m = function() end} if f(s:m(g), -f(v1)) .. (g) ^ f(t[v3], 's') then end",
		"for i = v1 .. '', f(v2 .. v3, {v4 ^ v5}) do local a, b = ..., i .. v1 end",
	}
	// gopher-lua gives a vararg function other than the main chunk a local
	// arg, one register more.
	for _, head := range []string{"", "local function f()\n", "local function f(...)\n"} {
		for n := 180; n <= 196; n++ {
			for k, tail := range tails {
				if head == "local function f()\n" && strings.Contains(tail, "...") {
					continue
				}
				var b strings.Builder
				b.WriteString(head)
				for i := range n {
					fmt.Fprintf(&b, "local v%d = %d\n", i, i)
				}
				if head == "" {
					b.WriteString(tail + "\nprint(v0)\n")
				} else {
					b.WriteString(tail + "\nreturn v0\nend\nprint(f())\n")
				}
				src := b.String()
				got, gopher := runDialect(t, src, "t"), runGopher(t, src, "t")
				if strings.Contains(gopher, "error") {
					continue
				}
				if strings.Contains(got, "error") {
					t.Errorf("%q, %d locals, tail %d: %s", head, n, k, got)
				}
				// Plain Lua needs no retry: the parser's count is not low.
				if _, line, _ := compileOnce(&source{data: []byte(src)}, "t", map[int]bool{}, 1); line >= 0 {
					t.Errorf("%q, %d locals, tail %d: lowered code overflowed gopher-lua's registers", head, n, k)
				}
			}
		}
	}
}

// TestLoweringTooComplex: a function gopher-lua cannot fit in 200
// registers, whatever is lowered, fails as PUC words register exhaustion,
// at the line of the expression, without a column.
func TestLoweringTooComplex(t *testing.T) {
	var b strings.Builder
	b.WriteString("local function f()\n")
	for i := range 197 {
		fmt.Fprintf(&b, "local v%d = %d\n", i, i)
	}
	b.WriteString("print(v1 & v2 & v3)\nend\n")
	_, err := Compile([]byte(b.String()), "big.lua")
	want := "big.lua:199: function or expression too complex near line 199"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// TestLoweringFallbackPerFunction: when gopher-lua runs out of registers in
// a lowered function (here the .. call fits, but the & call that must
// enclose it no longer does), only that function is compiled with
// gopher-lua's own .., ^, assignments and for loops; the rest of the chunk
// keeps PUC's concatenation.
func TestLoweringFallbackPerFunction(t *testing.T) {
	var b strings.Builder
	b.WriteString("local function small() return (0.1 + 0.2) .. '' end\nlocal function big()\n")
	for i := range 195 {
		fmt.Fprintf(&b, "local v%d = %d\n", i, i)
	}
	b.WriteString("return (v1 .. v2 .. v3) & 255\nend\nprint(small(), big())\n")
	src := b.String()
	if _, line, _ := compileOnce(&source{data: []byte(src)}, "t", map[int]bool{}, 1); line != 2 {
		t.Fatalf("lowered, gopher-lua overflowed in the function at line %d, want 2: the test no longer shows the retry", line)
	}
	if got, want := runDialect(t, src, "t"), "0.3\t123\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
