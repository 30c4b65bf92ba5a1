package puc_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/lua51"
	"msyshost/luahost/puc"
)

func TestMain(m *testing.M) {
	// The corpus prints dates with TZ=UTC on the oracle's side; os.date
	// here follows time.Local, which Go fixes at start-up.
	time.Local = time.UTC
	os.Setenv("TZ", "UTC")
	os.Exit(m.Run())
}

// TestDifferential runs every testdata/diff/*.lua under lua5.1 and under
// gopher-lua with puc.Open applied and requires byte-identical stdout,
// except for output lines whose label is listed in knownDifferences.
func TestDifferential(t *testing.T) {
	lua51.Path(t)
	files, err := filepath.Glob("testdata/diff/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in testdata/diff: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".lua"), func(t *testing.T) {
			want := runOracle(t, name)
			got := runHost(t, name)
			compareOutputs(t, name, want, got)
		})
	}
}

// TestDifferentialThroughMsyshostLua runs the corpus through the real
// command, `msyshost lua FILE`: the host's own states (msys modules, its
// print and require, the dialect) must give the same output as lua5.1,
// with the same allowlist.
func TestDifferentialThroughMsyshostLua(t *testing.T) {
	lua51.Path(t)
	bin := filepath.Join(t.TempDir(), "msyshost")
	if out, err := exec.Command("go", "build", "-o", bin, "msyshost/cmd/msyshost").CombinedOutput(); err != nil {
		t.Fatalf("building msyshost: %v\n%s", err, out)
	}
	files, err := filepath.Glob("testdata/diff/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in testdata/diff: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".lua"), func(t *testing.T) {
			cmd := exec.Command(bin, "lua", name)
			cmd.Dir = "testdata/diff"
			cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("msyshost lua %s: %v\n%s", name, err, stderr.String())
			}
			compareOutputs(t, name, runOracle(t, name), stdout.String())
		})
	}
}

func runOracle(t *testing.T, name string) string {
	t.Helper()
	cmd := lua51.Command(t, name)
	cmd.Dir = "testdata/diff"
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("lua5.1 %s: %v\n%s", name, err, stderr.String())
	}
	return stdout.String()
}

func runHost(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata/diff", name))
	if err != nil {
		t.Fatal(err)
	}
	// The call stack and value stack luahost gives its states (host.go,
	// state.go): recursion.lua needs PUC's depth.
	L := lua.NewState(lua.Options{CallStackSize: 16384, RegistrySize: 4096, RegistryMaxSize: 1 << 20, RegistryGrowStep: 4096})
	defer L.Close()
	puc.Open(L)
	var out bytes.Buffer
	puc.SetOutput(L, &out)
	if err := runChunk(L, string(src), name); err != nil {
		t.Fatalf("gopher-lua %s: %v\noutput so far:\n%s", name, err, out.String())
	}
	puc.FinalizeAll(L) // as lua5.1's lua_close
	return out.String()
}

func compareOutputs(t *testing.T, name, want, got string) {
	t.Helper()
	if want == got {
		for label := range knownDifferences[name] {
			t.Errorf("%s: allowlisted label %q no longer differs: remove it from knownDifferences and DIFFERENCES.md", name, label)
		}
		return
	}
	wl, gl := splitLines(want), splitLines(got)
	if len(wl) == len(gl) {
		used := map[string]bool{}
		ok := true
		for i := range wl {
			if wl[i] == gl[i] {
				continue
			}
			label, allowed := allowedLabel(name, wl[i])
			if !allowed {
				ok = false
				break
			}
			used[label] = true
		}
		if ok {
			for label := range knownDifferences[name] {
				if !used[label] {
					t.Errorf("%s: allowlisted label %q no longer differs: remove it from knownDifferences and DIFFERENCES.md", name, label)
				}
			}
			return
		}
	}
	t.Errorf("%s: output differs from lua5.1 (--- lua5.1, +++ gopher-lua+puc)\n%s", name, lineDiff(wl, gl))
}

// allowedLabel reports whether the lua5.1 line's label (its first
// tab-separated field) is allowlisted for the file.
func allowedLabel(name, line string) (string, bool) {
	label, _, _ := strings.Cut(line, "\t")
	_, ok := knownDifferences[name][label]
	return label, ok
}

func splitLines(s string) []string {
	lines := strings.Split(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// lineDiff renders a unified-style diff of two line lists with three lines
// of context, from a longest-common-subsequence table (outputs are small).
func lineDiff(a, b []string) string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', b[j]})
			j++
		default:
			ops = append(ops, op{'-', a[i]})
			i++
		}
	}
	var sb strings.Builder
	lastPrinted := -1
	for k, o := range ops {
		if o.kind == ' ' {
			near := false
			for d := max(0, k-3); d <= min(len(ops)-1, k+3); d++ {
				if ops[d].kind != ' ' {
					near = true
					break
				}
			}
			if !near {
				continue
			}
		}
		if lastPrinted >= 0 && k > lastPrinted+1 {
			sb.WriteString("@@\n")
		}
		fmt.Fprintf(&sb, "%c%q\n", o.kind, o.text)
		lastPrinted = k
	}
	return sb.String()
}
