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
	stmts, err := Parse([]byte("a = b\nfor i = 1, -2, 3 do end\na, b = b, a"), "s.lua")
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
	}
	for n := 180; n <= 196; n++ {
		for k, tail := range tails {
			var b strings.Builder
			b.WriteString("local function f()\n")
			for i := range n {
				fmt.Fprintf(&b, "local v%d = %d\n", i, i)
			}
			b.WriteString(tail + "\nreturn v0\nend\nprint(f())\n")
			src := b.String()
			got, gopher := runDialect(t, src, "t"), runGopher(t, src, "t")
			if strings.Contains(got, "error") && !strings.Contains(gopher, "error") {
				t.Errorf("%d locals, tail %d: %s", n, k, got)
			}
		}
	}
}
