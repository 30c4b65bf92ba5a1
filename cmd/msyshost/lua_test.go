package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"msyshost/luahost/lua51"
)

// luaCase is one lua5.1 command line: arguments, standard input and
// LUA_INIT (unset when empty).
type luaCase struct {
	name, stdin, init string
	args              []string
}

// TestLuaCommandLineMatchesLua51 runs each command line under lua5.1 and
// under msyshost invoked through a link named lua5.1 (argv[0] "lua5.1" for
// both), in the same folder, and requires the same stdout, stderr and exit
// status: lua.c's options, arg table, LUA_INIT, messages, tracebacks and
// interactive mode.
func TestLuaCommandLineMatchesLua51(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "bin", "lua5.1")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(binary, link); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "args.lua", "print(#arg, arg[-3], arg[-2], arg[-1], arg[0], arg[1], arg[2], select('#', ...), ...)\n")
	write(t, dir, "shebang.lua", "#!/usr/bin/env lua5.1\nprint('line', debug.getinfo(1, 'l').currentline)\n")
	write(t, dir, "syntax.lua", "local x = 1\nlocal y = = 2\n")
	write(t, dir, "fail.lua", "local function inner() error('deep failure') end\nlocal function outer() inner() end\nprint('before')\nouter()\n")
	write(t, dir, "tableerr.lua", "error({code = 1})\n")
	write(t, dir, "nilerr.lua", "error()\n")
	write(t, dir, "numerr.lua", "error(42)\n")
	write(t, dir, "init.lua", "print('init file', ...)\n")
	write(t, dir, "mod.lua", "print('loading', ...) return {}\n")
	write(t, dir, "exit.lua", "io.write('partial') os.exit(3)\n")
	write(t, dir, "forin.lua", "for k in 5 do end\n")
	cases := []luaCase{
		{name: "version", args: []string{"-v"}},
		{name: "bad option", args: []string{"-x"}},
		{name: "e needs argument", args: []string{"-e"}},
		{name: "i with tail", args: []string{"-ix"}},
		{name: "double dash tail", args: []string{"--x"}},
		{name: "e attached", args: []string{"-eprint(1 + 1)"}},
		{name: "e separate and arg unset", args: []string{"-e", "print(arg)"}},
		{name: "l attached and separate", args: []string{"-lmod", "-l", "mod", "-e", "print(package.loaded.mod ~= nil)"}},
		{name: "l missing", args: []string{"-l", "nomodule"}},
		{name: "script args", args: []string{"-e", "x=1", "args.lua", "a", "b"}},
		{name: "double dash", args: []string{"--", "args.lua", "-e"}},
		{name: "stdin script", args: []string{"-", "p", "q"}, stdin: "print(arg[0], arg[-1], ...)\n"},
		{name: "stdin after double dash is a file", args: []string{"--", "-"}},
		{name: "no args reads stdin", stdin: "print('from stdin')\nerror('stdin failure')\n"},
		{name: "shebang", args: []string{"shebang.lua"}},
		{name: "syntax error", args: []string{"syntax.lua"}},
		{name: "syntax error in e", args: []string{"-e", "x = = 1"}},
		{name: "missing script", args: []string{"nosuch.lua"}},
		{name: "traceback", args: []string{"fail.lua"}},
		{name: "table error", args: []string{"tableerr.lua"}},
		{name: "nil error", args: []string{"nilerr.lua"}},
		{name: "number error", args: []string{"numerr.lua"}},
		{name: "generic for", args: []string{"forin.lua"}},
		{name: "os.exit", args: []string{"exit.lua"}},
		{name: "LUA_INIT", args: []string{"-e", "print(2)"}, init: "print('init')"},
		{name: "LUA_INIT file", args: []string{"-e", "print(3)"}, init: "@init.lua"},
		{name: "LUA_INIT error", args: []string{"-e", "print(4)"}, init: "error('bad init')"},
		{name: "interactive", args: []string{"-i"}, stdin: "x = 1\n= x + 1\nfor i = 1, 2 do\nprint(i)\nend\nerror('e')\n=nil, 2\n_PROMPT = '$ '\nx = = 1\nprint(x\n"},
		{name: "interactive after script", args: []string{"-i", "args.lua", "z"}, stdin: "print(#arg)\n"},
		{name: "debug.debug", args: []string{"-e", "debug.debug() print('after', io.read('*l'))"}, stdin: "print(1 + 1)\nerror('x')\nx = = 2\ncont\nrest\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := runAs(t, lua51.Path(t), dir, c)
			got := runAs(t, link, dir, c)
			if got != want {
				t.Errorf("lua5.1 %q\n--- lua5.1:\n%s\n--- msyshost:\n%s", c.args, want, got)
			}
		})
	}
}

// runAs runs path with argv[0] "lua5.1" and returns what it printed and
// its exit status.
func runAs(t *testing.T, path, dir string, c luaCase) string {
	t.Helper()
	cmd := &exec.Cmd{Path: path, Args: append([]string{"lua5.1"}, c.args...), Dir: dir}
	cmd.Env = append(os.Environ(), "LUA_PATH=./?.lua", "LUA_CPATH=./?.so")
	if c.init != "" {
		cmd.Env = append(cmd.Env, "LUA_INIT="+c.init)
	}
	cmd.Stdin = strings.NewReader(c.stdin)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return "stdout:\n" + o.String() + "stderr:\n" + e.String() + "status: " + string(rune('0'+code))
}

// TestCheckSkipsAFirstLineComment: msyshost check reads a script as
// lua5.1 loads files, skipping a first line that starts with '#'.
func TestCheckSkipsAFirstLineComment(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "shebang.lua", "#!/usr/bin/env lua5.1\nlocal x = 1\n")
	write(t, dir, "broken.lua", "#!/usr/bin/env lua5.1\nlocal x = = 1\n")
	out, errOut, code := run(t, dir, "check", "shebang.lua", "broken.lua")
	if code != 1 || !strings.Contains(out, "shebang.lua: ok") || !strings.Contains(errOut, "broken.lua:2:") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
