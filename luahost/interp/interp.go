// Package interp is lua.c, PUC Lua 5.1's stand-alone interpreter, on a
// luahost Host: its options (-e, -l, -i, -v, --, -), LUA_INIT, the arg
// table, the interactive loop, and its messages and exit status. msyshost
// lua runs it; so does msyshost invoked through a link named lua or
// lua5.1.
package interp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
	"msyshost/luahost/dialect"
	"msyshost/luahost/puc"
)

// Version is what -v prints, as Debian's lua5.1 does.
const Version = "Lua 5.1.5  Copyright (C) 1994-2012 Lua.org, PUC-Rio"

// Command is one run of the interpreter.
type Command struct {
	// Prefix is how the interpreter was invoked, before its options:
	// {"lua"} or {"/usr/bin/msyshost", "lua"}. arg holds it at the most
	// negative indices.
	Prefix []string
	// Name prefixes messages ("lua: ..."), as lua.c's progname.
	Name string
	// Usage names the command in the usage message.
	Usage string
	// Getenv reads LUA_INIT.
	Getenv func(string) (string, bool)
	// Stdin is read by "-", by the interactive loop and when no script
	// is given; StdinIsTerminal says whether it is a terminal.
	Stdin           io.Reader
	StdinIsTerminal bool
	// Stdout gets the interactive prompts, Stderr messages and -v.
	Stdout, Stderr io.Writer
}

// Main runs lua.c's main over args (what follows Prefix) in a state of h
// and returns the exit status.
func (c *Command) Main(ctx context.Context, h *luahost.Host, args []string) int {
	argv := append(append([]string{}, c.Prefix[len(c.Prefix)-1]), args...)
	script, hasI, hasV, hasE, ok := collectArgs(argv)
	if !ok {
		c.usage()
		return 1
	}
	status := 0
	err := h.WithState(ctx, func(L *lua.LState) error {
		r := &run{Command: c, ctx: ctx, L: L}
		if !r.handleInit() {
			status = 1
			return nil
		}
		if hasV {
			fmt.Fprintln(c.Stderr, Version)
		}
		n := len(argv)
		if script > 0 {
			n = script
		}
		if !r.runArgs(argv, n) {
			status = 1
			return nil
		}
		if script > 0 && !r.handleScript(argv, script) {
			status = 1
			return nil
		}
		switch {
		case hasI:
			r.interactive()
		case script == 0 && !hasE && !hasV:
			if c.StdinIsTerminal {
				fmt.Fprintln(c.Stderr, Version)
				r.interactive()
			} else {
				// lua.c ignores the status of a script read from a
				// standard input that is not a terminal.
				r.report(r.doFile(""))
			}
		}
		return nil
	})
	if err != nil {
		c.message(err.Error())
		return 1
	}
	return status
}

// collectArgs is lua.c's collectargs: the index of the script in argv (0
// when there is none) and the options seen; !ok for a bad option.
func collectArgs(argv []string) (script int, hasI, hasV, hasE, ok bool) {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if a == "" || a[0] != '-' {
			return i, hasI, hasV, hasE, true
		}
		if len(a) == 1 {
			return i, hasI, hasV, hasE, true // "-": standard input
		}
		switch a[1] {
		case '-':
			if len(a) > 2 {
				return 0, hasI, hasV, hasE, false
			}
			if i+1 < len(argv) {
				return i + 1, hasI, hasV, hasE, true
			}
			return 0, hasI, hasV, hasE, true
		case 'i', 'v':
			if len(a) > 2 {
				return 0, hasI, hasV, hasE, false
			}
			hasI = hasI || a[1] == 'i'
			hasV = true
		case 'e', 'l':
			hasE = hasE || a[1] == 'e'
			if len(a) == 2 {
				i++
				if i >= len(argv) {
					return 0, hasI, hasV, hasE, false
				}
			}
		default:
			return 0, hasI, hasV, hasE, false
		}
	}
	return 0, hasI, hasV, hasE, true
}

func (c *Command) usage() {
	fmt.Fprintf(c.Stderr, `usage: %s [options] [script [args]].
Available options are:
  -e stat  execute string 'stat'
  -l name  require library 'name'
  -i       enter interactive mode after executing 'script'
  -v       show version information
  --       stop handling options
  -        execute stdin and stop handling options
`, c.Usage)
}

// message is l_message: "name: msg" on standard error.
func (c *Command) message(msg string) {
	if c.Name != "" {
		fmt.Fprintf(c.Stderr, "%s: ", c.Name)
	}
	fmt.Fprintln(c.Stderr, msg)
}

// run is the state of one Main.
type run struct {
	*Command
	ctx   context.Context
	L     *lua.LState
	stdin *bufio.Reader
}

// outcome is a chunk's end: ok, or the error value (nil for an error
// without one, which lua.c does not report).
type outcome struct {
	ok  bool
	err lua.LValue
}

// report is lua.c's report: the error value, or "(error object is not
// a string)", after the name; true when ok.
func (r *run) report(o outcome) bool {
	if o.ok {
		return true
	}
	if o.err != nil && o.err != lua.LNil {
		switch v := o.err.(type) {
		case lua.LString:
			r.message(string(v))
		case lua.LNumber:
			r.message(puc.FormatNumber(float64(v)))
		default:
			r.message("(error object is not a string)")
		}
	}
	return false
}

// docall is lua.c's docall: fn with args under lua.c's traceback handler,
// the call itself under the host's watch (memory limit, cancellation).
// After an error, a full collection runs, as lua.c's does.
func (r *run) docall(fn lua.LValue, args []lua.LValue) (results []lua.LValue, o outcome) {
	L := r.L
	runner := L.NewFunction(func(L *lua.LState) int {
		base := L.GetTop()
		L.Push(fn)
		for _, a := range args {
			L.Push(a)
		}
		if err := L.PCall(len(args), lua.MultRet, puc.TracebackHandler(L)); err != nil {
			var ae *lua.ApiError
			if errors.As(err, &ae) {
				o.err = ae.Object
			} else {
				o.err = lua.LString(err.Error())
			}
			if ctx := L.Context(); ctx != nil && ctx.Err() != nil {
				// The host's watch stopped the call (memory limit,
				// cancellation): the state runs no more Lua.
				return 0
			}
			puc.AfterError(L)
			if err := puc.Collect(L); err != nil {
				o.err = lua.LString(err.Error())
			}
			return 0
		}
		o.ok = true
		for i := base + 1; i <= L.GetTop(); i++ {
			results = append(results, L.Get(i))
		}
		return 0
	})
	if err := luahost.PCall(r.ctx, L, runner); err != nil {
		return nil, outcome{err: lua.LString(err.Error())}
	}
	L.SetTop(0)
	return results, o
}

// doString is lua.c's dostring: the chunk, its results dropped.
func (r *run) doString(src, name string) outcome {
	fn, err := dialect.LoadString(r.L, []byte(src), name)
	if err != nil {
		return outcome{err: lua.LString(err.Error())}
	}
	_, o := r.docall(fn, nil)
	return o
}

// doFile runs a file, or standard input for "".
func (r *run) doFile(path string) outcome {
	fn, err := r.loadFile(path)
	if err != nil {
		return outcome{err: lua.LString(err.Error())}
	}
	_, o := r.docall(fn, nil)
	return o
}

// loadFile is luaL_loadfile; standard input is this command's.
func (r *run) loadFile(path string) (*lua.LFunction, error) {
	if path != "" {
		return dialect.LoadFile(r.L, path)
	}
	src, err := io.ReadAll(r.input())
	if err != nil {
		return nil, fmt.Errorf("cannot read stdin: %w", err)
	}
	if len(src) > 0 && src[0] == '#' {
		if i := strings.IndexByte(string(src), '\n'); i >= 0 {
			src = src[i:]
		} else {
			src = nil
		}
	}
	return dialect.LoadString(r.L, src, "=stdin")
}

func (r *run) input() *bufio.Reader {
	if r.stdin == nil {
		r.stdin = bufio.NewReader(r.Stdin)
	}
	return r.stdin
}

// handleInit runs LUA_INIT: "@file" or a chunk named "=LUA_INIT".
func (r *run) handleInit() bool {
	init, ok := r.Getenv("LUA_INIT")
	if !ok {
		return true
	}
	if strings.HasPrefix(init, "@") {
		return r.report(r.doFile(init[1:]))
	}
	return r.report(r.doString(init, "=LUA_INIT"))
}

// runArgs runs the -e and -l options before index n, in order.
func (r *run) runArgs(argv []string, n int) bool {
	for i := 1; i < n; i++ {
		a := argv[i]
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		switch a[1] {
		case 'e', 'l':
			v := a[2:]
			if v == "" {
				i++
				v = argv[i]
			}
			var o outcome
			if a[1] == 'e' {
				o = r.doString(v, "=(command line)")
			} else {
				_, o = r.docall(r.L.GetGlobal("require"), []lua.LValue{lua.LString(v)})
			}
			if !r.report(o) {
				return false
			}
		}
	}
	return true
}

// handleScript runs the script at argv[n] with the arguments after it in
// arg and ..., as lua.c's handle_script; "-" (not after "--") is
// standard input.
func (r *run) handleScript(argv []string, n int) bool {
	L := r.L
	argt := L.NewTable()
	for i, a := range r.Prefix[:len(r.Prefix)-1] {
		argt.RawSetInt(i-len(r.Prefix)+1-n, lua.LString(a))
	}
	for i, a := range argv {
		argt.RawSetInt(i-n, lua.LString(a))
	}
	L.SetGlobal("arg", argt)
	var args []lua.LValue
	for _, a := range argv[n+1:] {
		args = append(args, lua.LString(a))
	}
	path := argv[n]
	if path == "-" && argv[n-1] != "--" {
		path = ""
	}
	fn, err := r.loadFile(path)
	if err != nil {
		return r.report(outcome{err: lua.LString(err.Error())})
	}
	_, o := r.docall(fn, args)
	return r.report(o)
}

// interactive is lua.c's dotty: lines from standard input run as chunks
// named "=stdin", a line starting with '=' returns its expression, a
// chunk cut short waits for more lines, results are printed; messages
// have no name in front. Prompts are _PROMPT and _PROMPT2. Debian's
// lua5.1 reads with readline, which echoes a line it did not read from a
// terminal; so does this.
func (r *run) interactive() {
	name := r.Name
	r.Name = ""
	defer func() { r.Name = name }()
	for {
		fn, ok := r.loadLine()
		if !ok {
			break
		}
		if fn == nil {
			continue
		}
		results, o := r.docall(fn, nil)
		r.report(o)
		if o.ok && len(results) > 0 {
			if _, o := r.docall(r.L.GetGlobal("print"), results); !o.ok {
				msg, _ := o.err.(lua.LString)
				r.message(fmt.Sprintf("error calling 'print' (%s)", msg))
			}
		}
	}
	fmt.Fprintln(r.Stdout)
}

// loadLine is lua.c's loadline: the next chunk, nil after a syntax error
// (reported); !ok at the end of input.
func (r *run) loadLine() (*lua.LFunction, bool) {
	line, ok := r.readLine(true)
	if !ok {
		return nil, false
	}
	if strings.HasPrefix(line, "=") {
		line = "return " + line[1:]
	}
	for {
		fn, err := dialect.LoadString(r.L, []byte(line), "=stdin")
		if err == nil {
			return fn, true
		}
		if !strings.HasSuffix(err.Error(), "'<eof>'") {
			r.message(err.Error())
			return nil, true
		}
		more, ok := r.readLine(false)
		if !ok {
			return nil, false
		}
		line += "\n" + more
	}
}

// readLine prints the prompt and reads a line without its newline.
func (r *run) readLine(first bool) (string, bool) {
	global, prompt := "_PROMPT", "> "
	if !first {
		global, prompt = "_PROMPT2", ">> "
	}
	switch v := r.L.GetGlobal(global).(type) {
	case lua.LString:
		prompt = string(v)
	case lua.LNumber:
		prompt = puc.FormatNumber(float64(v))
	}
	fmt.Fprint(r.Stdout, prompt)
	line, err := r.input().ReadString('\n')
	if err != nil && line == "" {
		return "", false
	}
	line = strings.TrimSuffix(line, "\n")
	if !r.StdinIsTerminal {
		fmt.Fprintln(r.Stdout, line)
	}
	return line, true
}

// StdinIsTerminal reports whether f is a terminal (lua.c's isatty(0)).
func StdinIsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
