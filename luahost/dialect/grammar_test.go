package dialect

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func grammarCorpus(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("testdata/grammar/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no grammar corpus: %v", err)
	}
	corpus := map[string]string{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		corpus[filepath.Base(f)] = string(src)
	}
	return corpus
}

// TestGrammarAST: for plain Lua 5.1, the parser builds exactly the AST
// gopher-lua's parser builds, lines included (with .. left unlowered).
func TestGrammarAST(t *testing.T) {
	for name, src := range grammarCorpus(t) {
		t.Run(name, func(t *testing.T) {
			want, err := gopherAST(src, name)
			if err != nil {
				t.Fatalf("gopher-lua: %v", err)
			}
			got, err := newParser([]byte(src), name, false).parse()
			if err != nil {
				t.Fatalf("dialect: %v", err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("AST differs at %s", firstDiff(dumpAST(want), dumpAST(got)))
			}
		})
	}
}

// TestGrammarRun: the corpus prints the same through Compile/Load as
// through gopher-lua's own parser, and as lua5.1 where it is installed.
func TestGrammarRun(t *testing.T) {
	for name, src := range grammarCorpus(t) {
		t.Run(name, func(t *testing.T) {
			want := runGopher(t, src, "t")
			got := runDialect(t, src, "t")
			if want != got {
				t.Errorf("gopher-lua vs dialect differ at %s", firstDiff(want, got))
			}
			// lua5.1 names a chunk read from stdin "stdin".
			if puc := strings.ReplaceAll(runLua51(t, src), "stdin:", "t:"); puc != got {
				t.Errorf("lua5.1 vs dialect differ at %s", firstDiff(puc, got))
			}
		})
	}
}

// TestConcatErrors: errors raised by the lowered .. read as lua5.1's,
// variable names and lines included.
func TestConcatErrors(t *testing.T) {
	sameAsLua51(t, "testdata/concat_errors.lua")
}

// sameAsLua51 runs a file through Compile and Load and requires lua5.1's
// output; it returns the file's text.
func sameAsLua51(t *testing.T, path string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := runDialect(t, string(src), "t")
	want := strings.ReplaceAll(runLua51(t, string(src)), "stdin:", "t:")
	if got != want {
		t.Errorf("lua5.1 vs dialect differ at %s\n--- dialect:\n%s", firstDiff(want, got), got)
	}
	return want
}
