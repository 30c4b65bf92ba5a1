package dialect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

var loadlibFiles = map[string]string{
	"ok.lua":      "local a = ...\nreturn 'ok', a, select('#', ...)\n",
	"bad.lua":     "local x = 1\nx = = 2\n",
	"raise.lua":   "\n\nerror('raised')\n",
	"shebang.lua": "#!/usr/bin/env lua\n\nreturn debug.traceback and 'line ' .. (function() return select(2, pcall(error, 'here', 2)) end)()\n",
}

// TestLoadlibAgainstLua51 runs testdata/loadlib.lua through Open's load
// functions and through lua5.1: the outputs must be identical.
func TestLoadlibAgainstLua51(t *testing.T) {
	dir := t.TempDir()
	for name, src := range loadlibFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script, err := os.ReadFile("testdata/loadlib.lua")
	if err != nil {
		t.Fatal(err)
	}
	src := "local DIR = '" + dir + "'\n" + string(script)
	got := runDialect(t, src, "loadlib.lua")
	want := strings.ReplaceAll(runLua51(t, src), "stdin:", "loadlib.lua:")
	if got != want {
		t.Errorf("dialect vs lua5.1 differ at %s\n--- dialect:\n%s", firstDiff(want, got), got)
	}
}

// TestLoadstringDialect: code loaded at run time is Momentum Lua too, and
// shares the state's operators.
func TestLoadstringDialect(t *testing.T) {
	got := runDialect(t, `
local f = loadstring("local a, b = ... return a & b, a != b, 1 .. ''")
print(f(6, 3))
print(loadstring("return 5 ^^", "=x"))
print(load(function() return nil end) ~= nil)
print(load(function() return {} end))
print(load(function() error("in reader") end))
`, "t")
	want := "2\ttrue\t1\nnil\tx:1: unexpected symbol near '<eof>'\ntrue\n" +
		"nil\tt:6: reader function must return a string\n" +
		"nil\tt:7: in reader\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestLoadErrors: Load refuses protos not made by Compile, and plain
// chunks need no binding.
func TestLoadErrors(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	plain, err := Compile([]byte("return 1 + 1"), "plain")
	if err != nil {
		t.Fatal(err)
	}
	if plain.NumUpvalues != 0 {
		t.Errorf("a chunk without lowered operators has %d upvalues", plain.NumUpvalues)
	}
	if _, err := Load(L, plain); err != nil {
		t.Errorf("Load(plain): %v", err)
	}
	foreign, err := Compile([]byte("return 1 & 1"), "foreign")
	if err != nil {
		t.Fatal(err)
	}
	forged := *foreign
	forged.DbgUpvalues = []string{"x"}
	if _, err := Load(L, &forged); err == nil {
		t.Error("Load accepted a proto Compile did not make")
	}
}

func TestChunkID(t *testing.T) {
	if got, want := chunkID(strings.Repeat("s", 70), maxSrc), `[string "`+strings.Repeat("s", 63)+`..."]`; got != want {
		t.Errorf("syntax-error chunkID = %q, want %q", got, want)
	}
	for source, want := range map[string]string{
		"=stdin":                      "stdin",
		"@a/b.lua":                    "a/b.lua",
		"x = 1":                       `[string "x = 1"]`,
		"x = 1\ny = 2":                `[string "x = 1..."]`,
		"=" + strings.Repeat("n", 70): strings.Repeat("n", 59),
		"@" + strings.Repeat("p", 70): "..." + strings.Repeat("p", 52),
		strings.Repeat("s", 50):       `[string "` + strings.Repeat("s", 43) + `..."]`,
	} {
		if got := chunkID(source, idSize); got != want {
			t.Errorf("chunkID(%q) = %q, want %q", source, got, want)
		}
	}
}
