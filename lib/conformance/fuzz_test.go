package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: a scenario file either parses or fails with an error naming
// the file and a line; it never panics.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../../examples/scenarios/*.yaml")
	more, _ := filepath.Glob("../../scriptlets/testdata/*.yaml")
	smtp, _ := filepath.Glob("../../scriptlets/testdata/reception/*.yaml")
	for _, p := range append(append(seeds, more...), smtp...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: x\nsteps:\n  - advance: 1d\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse("f.yaml", src)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml:") {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		if s.Name == "" || len(s.Steps) == 0 {
			t.Fatalf("parsed a scenario without name or steps: %+v", s)
		}
	})
}
