package main_test

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"msyshost/luahost/lua51"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "msyshost-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "msyshost")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const hooks = `local m = {}
function m:smpp_handle_DR_positive(b, id) print("positive " .. id) return 0 end
msys.registerModule("h", m)
`

func TestTestCommandReportsAndExitsNonZero(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "h.lua", hooks)
	write(t, dir, "good.yaml", `name: good one
scripts: [h.lua]
steps:
  - receipt: {via: smpp, bucket: MADR-1, msgid: m1, stat: DELIVRD}
    expect: {hooks: [{name: smpp_handle_DR_positive, returned: 0}], log: ["positive m1"]}
`)
	write(t, dir, "bad.yaml", `name: bad one
scripts: [h.lua]
steps:
  - receipt: {via: smpp, bucket: MADR-1, msgid: m1, stat: DELIVRD}
    expect: {hooks: [{name: smpp_handle_DR_positive, returned: 3}]}
`)
	write(t, dir, "broken.yaml", "name: broken\nsteps:\n  - teleport: now\n")
	out, _, code := run(t, dir, "test", "--junit", "report.xml", ".")
	if code != 1 {
		t.Fatalf("exit %d, want 1; output:\n%s", code, out)
	}
	for _, want := range []string{
		"PASS good one", "FAIL bad one", "want it to return 3",
		`broken.yaml:3: unknown key "teleport" in step 1`, "1 passed, 2 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "report.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("JUnit XML does not parse: %v\n%s", err, raw)
	}
	if doc.Tests != 3 || doc.Failures != 2 || len(doc.Suites[0].Cases) != 3 {
		t.Fatalf("JUnit counts wrong: %+v\n%s", doc, raw)
	}

	out, _, code = run(t, dir, "test", "--tap", "good.yaml", "bad.yaml")
	if code != 1 || !strings.Contains(out, "1..2\nok 1 - good one\nnot ok 2 - bad one") {
		t.Fatalf("TAP output (exit %d):\n%s", code, out)
	}
	out, _, code = run(t, dir, "test", "good.yaml")
	if code != 0 || !strings.HasSuffix(out, "1 passed, 0 failed\n") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.lua", "local x = 5 & 3\nif x != 1 then error('bad') end\n")
	write(t, dir, "bad.lua", "local x = 1\nlocal y = = 2\n")
	out, errOut, code := run(t, dir, "check", "ok.lua", "bad.lua")
	if code != 1 || !strings.Contains(out, "ok.lua: ok") || !strings.Contains(errOut, "bad.lua:2:") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestLuaCommand(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "args.lua", "print(arg[0], arg[1], arg[2], select('#', ...), 7 \\ 2, 0.1 + 0.2)\n")
	out, _, code := run(t, dir, "lua", "args.lua", "one", "two")
	if code != 0 || out != "args.lua\tone\ttwo\t2\t3\t0.3\n" {
		t.Fatalf("exit %d, output %q", code, out)
	}
	write(t, dir, "fail.lua", "print('before')\nerror('it broke')\n")
	out, errOut, code := run(t, dir, "lua", "fail.lua")
	if code != 1 || out != "before\n" || !strings.HasPrefix(errOut, "lua: fail.lua:2: it broke") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestLuaCommandOptions(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "mod.lua", "greeting = 'hi from mod'\n")
	out, errOut, code := run(t, dir, "lua", "-l", "mod", "-e", "print(greeting, 6 ^^ 3)")
	if code != 0 || out != "hi from mod\t5\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, errOut, code = run(t, dir, "lua", "-e", "error('boom')")
	if code != 1 || !strings.HasPrefix(errOut, "lua: (command line):1: boom") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	out, _, code = run(t, dir, "lua", "-e", "print('bye') os.exit(7)")
	if code != 7 || out != "bye\n" {
		t.Fatalf("os.exit in msyshost lua: exit %d, stdout %q", code, out)
	}
	_, errOut, code = run(t, dir, "lua", "-x")
	if code != 1 || !strings.HasPrefix(errOut, "usage: msyshost lua [options] [script [args]].") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestLuaCommandErrorMatchesLua51(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "e.lua", "local t = {}\nprint('x' .. 1e15)\nprint(t.a.b)\n")
	out, errOut, code := run(t, dir, "lua", "e.lua")
	cmd := lua51.Command(t, "e.lua")
	cmd.Dir = dir
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Run()
	// The first line of stderr, after the interpreter's name ("lua:" here,
	// lua5.1's argv[0] there).
	first := func(s string) string {
		line := strings.SplitN(s, "\n", 2)[0]
		return line[strings.Index(line, ": ")+2:]
	}
	if code != 1 || out != o.String() || first(errOut) != first(e.String()) {
		t.Fatalf("msyshost lua: exit %d, stdout %q, stderr %q\nlua5.1: stdout %q, stderr %q", code, out, first(errOut), o.String(), first(e.String()))
	}
}
