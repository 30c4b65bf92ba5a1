package msys_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"msyshost/luahost"
)

// TestEveryFunctionIsTestedFromLua: every function and class method a
// module of lib/msys (or luahost's msys table) gives scripts is called by
// name in a Lua test of the repository: a Lua test file, or a script that
// a Go test loads into a host (kept in the Go file as a string).
func TestEveryFunctionIsTestedFromLua(t *testing.T) {
	var src strings.Builder
	for _, root := range []string{".", filepath.Join("..", "..", "luahost")} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, "_test.lua") || strings.HasSuffix(p, "_test.go")) && p != "coverage_test.go" {
				b, _ := os.ReadFile(p)
				src.Write(b)
			}
			return nil
		})
	}
	all := src.String()
	for _, m := range luahost.BuildCatalog().Modules {
		if m.Unavailable != "" || !(m.Name == "msys" || strings.HasPrefix(m.Name, "msys.") || m.Name == "thread" || m.Name == "json" || m.Name == "xml" || m.Name == "curl") {
			continue
		}
		if strings.HasSuffix(m.Name, "_test") {
			continue
		}
		names := append([]string(nil), m.Functions...)
		names = append(names, m.Methods...)
		for _, n := range names {
			short := n[strings.LastIndexAny(n, ".:")+1:]
			if !regexp.MustCompile(`[.:]` + regexp.QuoteMeta(short) + `\b`).MatchString(all) {
				t.Errorf("%s (module %s) is called by no Lua test", n, m.Name)
			}
		}
	}
}
