package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected part of the golden files")

const separator = "\n----------\n"

// TestGolden parses the config half of each testdata/*.txt file, following
// includes relative to testdata/, and compares the dump of the tree, or the
// error, with the half after the separator line.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			in, want, ok := strings.Cut(string(data), separator)
			if !ok {
				t.Fatalf("%s: no %q line", f, strings.TrimSpace(separator))
			}
			var got string
			c, err := parse(f, []byte(in), true)
			if err != nil {
				got = "error: " + err.Error() + "\n"
			} else {
				got = c.Root().Dump()
			}
			if *update {
				if err := os.WriteFile(f, []byte(in+separator+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("%s:\n--- got\n%s--- want\n%s", f, got, want)
			}
		})
	}
}
