package mm7

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected part of the golden files")

const separator = "\n----------\n"

// TestGolden decodes the HTTP message in the first half of each
// testdata/*.txt file (a Content-Type line, a blank line, the body) and
// compares what Encode writes back, or the error, with the second half.
// CRLF is shown as LF. Every file that decodes must also round-trip: the
// expected output decodes and re-encodes to itself.
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
			got := roundTrip(t, in)
			if *update {
				if err := os.WriteFile(f, []byte(in+separator+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("%s:\n--- got\n%s--- want\n%s", f, got, want)
			}
			if strings.HasPrefix(want, "error: ") {
				return
			}
			if again := roundTrip(t, want); again != want {
				t.Errorf("%s: the output does not round-trip:\n--- got\n%s--- want\n%s", f, again, want)
			}
		})
	}
}

var goldenStyle = Style{Boundary: "golden-boundary"}

func roundTrip(t *testing.T, msg string) string {
	t.Helper()
	head, body, ok := strings.Cut(msg, "\n\n")
	if !ok {
		t.Fatalf("no blank line after the Content-Type line")
	}
	ct := strings.TrimSpace(strings.TrimPrefix(head, "Content-Type:"))
	env, err := Decode(ct, []byte(body), Limits{})
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	ctype, out, err := goldenStyle.Encode(env)
	if err != nil {
		return "error: encoding: " + err.Error() + "\n"
	}
	out = bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n"))
	return "Content-Type: " + ctype + "\n\n" + string(out)
}
