package dialect

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// stricterThanGopher lists what Lua 5.1 (and thrlua) reject but gopher-lua
// accepts; the fuzz target does not hold the dialect to gopher-lua there.
var stricterThanGopher = []string{
	"escape sequence too large",     // "\999"
	"expected hex digit",            // thrlua's \x
	"hex digits for unicode",        // thrlua's \u
	"unicode escape sequence",       // thrlua's \u
	"malformed number",              // 08, 1e, 3..2
	"nesting of [[...]]",            // LUA_COMPAT_LSTR
	"chunk has too many syntax",     // LUAI_MAXCCALLS
	"has more than",                 // LUAI_MAXVARS, LUAI_MAXUPVALUES
	"unexpected symbol near ';'",    // empty statements are Lua 5.2
	"syntax error",                  // (f()) as a statement
	"no loop to break",              // gopher-lua checks break late
	"invalid long string delimiter", // gopher-lua reads [= as '[' '='
	"ambiguous syntax",              // gopher-lua misses some cases
	"unexpected symbol near ','",    // gopher-lua reads {1,,} as {1}
}

func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/grammar/*.lua", "testdata/*.lua", "testdata/syntax/*.txt"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			text, _, _ := strings.Cut(string(src), goldenSep)
			f.Add(text)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		_, err := Compile([]byte(src), "fuzz")
		if err == nil {
			sameASTAsGopher(t, src)
			return
		}
		if _, ok := err.(*SyntaxError); !ok {
			t.Fatalf("error is not a *SyntaxError: %v", err)
		}
		// Labels and goto are Lua 5.2 syntax that gopher-lua accepts.
		if strings.Contains(src, "goto") || strings.Contains(src, "::") {
			return
		}
		chunk, gerr := gopherAST(src, "fuzz")
		if gerr != nil {
			return
		}
		if _, gerr := lua.Compile(chunk, "fuzz"); gerr != nil {
			return
		}
		for _, s := range stricterThanGopher {
			if strings.Contains(err.Error(), s) {
				return
			}
		}
		t.Fatalf("gopher-lua accepts %q, dialect says %v", src, err)
	})
}

// sameASTAsGopher: where both parsers accept plain Lua, the ASTs are equal.
// Left out: numerals (gopher-lua's lexer rewrites some, 010 becomes 10, and
// accepts malformed ones), thrlua's \x and \u escapes (Lua 5.1 reads \x as
// x), and Lua 5.2's goto and labels.
func sameASTAsGopher(t *testing.T, src string) {
	for _, s := range []string{`\x`, `\u`, "goto", "::"} {
		if strings.Contains(src, s) {
			return
		}
	}
	if strings.ContainsAny(src, "0123456789") {
		return
	}
	want, err := gopherAST(src, "fuzz")
	if err != nil {
		return
	}
	got, err := newParser([]byte(src), "fuzz", false).parse()
	if err != nil {
		t.Fatalf("Compile accepts %q but the unlowered parse fails: %v", src, err)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("AST of %q differs from gopher-lua's at %s", src, firstDiff(dumpAST(want), dumpAST(got)))
	}
}
