package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary text: it must return a tree or an error,
// never panic, and every query must work on whatever tree it returns.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		in, _, _ := strings.Cut(string(data), separator)
		f.Add(in)
	}
	f.Add(levelConfig())
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Parse("fuzz.conf", []byte(src))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.conf:") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		_ = c.Root().Dump()
		_ = c.Scripts()
		_, _ = c.Mstore()
		_, _ = c.Check(true)
		_, _ = c.Check(false)
		for _, s := range []Scope{{}, {Domain: "d.example.com"}, {BindingGroup: "bg", Binding: "b", Domain: "x"}} {
			if v, ok := c.Eval(s, "o1"); ok {
				_, _ = v.Bool()
				_, _ = v.Int()
				_, _ = v.Duration()
				_ = v.List()
				_ = v.Dict()
			}
		}
	})
}
