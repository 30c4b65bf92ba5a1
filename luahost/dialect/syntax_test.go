package dialect

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"msyshost/luahost/lua51"
)

var update = flag.Bool("update", false, "rewrite the expected output of golden files")

const goldenSep = "\n----------\n"

// TestSyntaxErrors: each testdata/syntax/*.txt is a chunk, a line of
// dashes, and the error Compile reports (file:line:column: message).
// Cases not starting with "x-" are plain Lua 5.1: lua5.1's loadstring must
// report the same line and message.
func TestSyntaxErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/syntax/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			src, want, ok := strings.Cut(string(data), goldenSep)
			if !ok {
				t.Fatalf("%s: no separator", file)
			}
			_, err = Compile([]byte(src), "t")
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want a syntax error, got %v", err)
			}
			got := se.Error() + "\n"
			if *update {
				if err := os.WriteFile(file, []byte(src+goldenSep+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
			if !strings.HasPrefix(name, "x-") {
				if puc := lua51Load(t, src); puc != se.LuaMessage() {
					t.Errorf("lua5.1 says %q, dialect %q", puc, se.LuaMessage())
				}
			}
		})
	}
}

// lua51Load returns lua5.1's loadstring message for src, named "=t".
func lua51Load(t *testing.T, src string) string {
	t.Helper()
	cmd := lua51.Command(t, "-e", `io.write(select(2, loadstring(io.read("*a"), "=t")) or "")`)
	cmd.Stdin = strings.NewReader(src)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lua5.1: %v\n%s", err, out)
	}
	return string(out)
}
