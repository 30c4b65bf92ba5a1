package conformance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A scenario that must fail is judged by its failure: it passes only when
// a step fails with the given text, and fails when every step holds or
// when it fails for another reason.
func TestFailsWithInvertsTheVerdict(t *testing.T) {
	dir := t.TempDir()
	run := func(yaml string) *Result {
		t.Helper()
		f := filepath.Join(dir, "s.yaml")
		if err := os.WriteFile(f, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		return Run(context.Background(), s, Options{})
	}
	holds := "name: n\nfails_with: \"stored: MADR-1/x\"\nsteps:\n  - lua: \"local x = 1\"\n"
	if res := run(holds); res.Passed() || !strings.Contains(res.Failures[0], `expected a failure containing "stored: MADR-1/x", but every step held`) {
		t.Errorf("a must-fail scenario whose steps hold: %v", res.Failures)
	}
	other := "name: n\nfails_with: \"stored: MADR-1/x\"\nsteps:\n  - lua: \"local x = 1\"\n    expect: {absent: [\"no-slash\"]}\n"
	if res := run(other); res.Passed() || !strings.Contains(res.Failures[0], `got: [step 1 (lua, line 4): absent: no-slash: key "no-slash" is not BUCKET/MSGID]`) {
		t.Errorf("a must-fail scenario failing for another reason: %v", res.Failures)
	}
	right := "name: n\nfails_with: \"stored: MADR-1/x\"\nsteps:\n  - lua: \"local x = 1\"\n    expect: {stored: [\"MADR-1/x\"]}\n"
	if res := run(right); !res.Passed() {
		t.Errorf("a must-fail scenario failing as told: %v", res.Failures)
	}
}
