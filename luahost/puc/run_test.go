package puc_test

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/dialect"
)

// runChunk compiles a corpus file as a file with the dialect front-end, which lowers
// `..` onto FormatNumber, and runs it; dialect.Open makes loadstring and
// friends compile the same way. The chunk name is the file name, as
// lua5.1 reports it in messages.
func runChunk(L *lua.LState, src, name string) error {
	dialect.Open(L)
	proto, err := dialect.CompileFile([]byte(src), name)
	if err != nil {
		return err
	}
	fn, err := dialect.Load(L, proto)
	if err != nil {
		return err
	}
	// lua.c runs the script from a C function (pmain), which tracebacks
	// show as "[C]: ?" at the bottom; a Go function plays that part.
	L.Push(L.NewFunction(func(L *lua.LState) int {
		L.Push(fn)
		L.Call(0, 0)
		return 0
	}))
	return L.PCall(0, 0, nil)
}

// knownDifferences lists, per corpus file, the output labels (the first
// word of a printed line) whose text may differ from lua5.1's, each with
// the reason; DIFFERENCES.md explains every entry. A label that stops
// differing fails the test so the list stays honest.
var knownDifferences = map[string]map[string]string{
	"errors.lua": {
		"next-err": "next cannot tell a key never in the table from one cleared during traversal (DIFFERENCES.md: next)",
	},
	"vm.lua": {
		"len-meta":                "gopher-lua's # honours __len on tables; PUC 5.1 only on userdata (DIFFERENCES.md: # operator)",
		"mod-inf":                 "gopher-lua's % is not PUC's a - floor(a/b)*b with C NaN signs; not lowered for its cost (DIFFERENCES.md: %)",
		"mod-zero":                "gopher-lua's % gives a positive NaN (DIFFERENCES.md: %)",
		"unm-str-negzero":         "gopher-lua's VM reads \"-0\" as +0 before negating (DIFFERENCES.md: numeric strings in the VM)",
		"arith-coerce-underscore": "gopher-lua's VM reads \"1_0\" and \"0b1\" as numbers (DIFFERENCES.md: numeric strings in the VM)",
		"arith-coerce-range":      "gopher-lua's VM rejects \"1e5000\" and \"-nan\" (DIFFERENCES.md: numeric strings in the VM)",
		"arith-coerce-hexfrac":    "gopher-lua's VM rejects hex fractions (DIFFERENCES.md: numeric strings in the VM)",
		"literal-leading-zero":    "intentional: Momentum's thrlua reads 010 as octal 8, and so does luahost/dialect (DIFFERENCES.md: numerals with leading zeros)",
		"arith-coerce-space":      "gopher-lua's VM rejects \\v and a trailing NUL (DIFFERENCES.md: numeric strings in the VM)",
	},
}
