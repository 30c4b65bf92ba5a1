// Package iolib is PUC Lua 5.1's io and os libraries for gopher-lua: file
// handles of its own with C stdio's reads, writes and errors, strftime and
// mktime for os.date and os.time, and the script's standard output, which a
// host may send elsewhere (SetOutput).
package iolib

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/internal/lgc"
)

// The io library is replaced as a whole: files are values of its own, so
// that numbers are written with %.14g, reads follow C stdio ("*n" reads
// what fscanf("%lf") reads, hex included), errors carry C's texts, and
// io.stdout writes through the host's output.

const fileTypeName = "FILE*"

// iolib is the io and os libraries' state in one Lua state.
type iolib struct {
	out io.Writer // the script's standard output
	// replaying: the state repeats code another state ran already (a
	// host's pool replaying the scripts' load); what it opens for writing
	// writes nowhere, and io.popen runs nothing (SetReplaying).
	replaying             bool
	meta                  *lua.LTable
	input, output         *lua.LUserData
	stdin, stdout, stderr *lua.LUserData
}

// registryKey holds a state's *iolib in its registry.
const registryKey = "msyshost.puc.io"

// Open replaces the io and os libraries of L. The script's standard output
// is os.Stdout until SetOutput says otherwise.
func Open(L *lua.LState) {
	lib := &iolib{out: os.Stdout}
	ud := L.NewUserData()
	ud.Value = lib
	L.SetField(L.Get(lua.RegistryIndex), registryKey, ud)
	openOS(L)
	lib.meta = L.NewTable()
	methods := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"close":   lib.fileClose,
		"flush":   lib.fileFlush,
		"lines":   lib.fileLines,
		"read":    lib.fileRead,
		"seek":    lib.fileSeek,
		"setvbuf": lib.fileSetvbuf,
		"write":   lib.fileWrite,
	} {
		methods.RawSetString(name, L.NewFunction(fn))
	}
	lib.meta.RawSetString("__index", methods)
	lib.meta.RawSetString("__tostring", L.NewFunction(lib.fileToString))
	lib.meta.RawSetString("__gc", L.NewFunction(lib.fileGC))
	lib.stdin = lib.newFile(L, &lfile{f: os.Stdin, std: true})
	lib.stdout = lib.newFile(L, &lfile{std: true})
	lib.stderr = lib.newFile(L, &lfile{f: os.Stderr, std: true})
	lib.input, lib.output = lib.stdin, lib.stdout
	lib.keepDefaults(L)
	t := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"close":   lib.ioClose,
		"flush":   lib.ioFlush,
		"input":   lib.ioInput,
		"lines":   lib.ioLines,
		"open":    lib.ioOpen,
		"output":  lib.ioOutput,
		"popen":   lib.ioPopen,
		"read":    lib.ioRead,
		"tmpfile": lib.ioTmpfile,
		"type":    lib.ioType,
		"write":   lib.ioWrite,
	} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	t.RawSetString("stdin", lib.stdin)
	t.RawSetString("stdout", lib.stdout)
	t.RawSetString("stderr", lib.stderr)
	L.SetGlobal("io", t)
	if loaded, ok := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable); ok {
		loaded.RawSetString("io", t)
	}
}

// SetOutput sends the script's standard output in L and its coroutines
// (io.write, io.stdout, and the output of os.execute and io.popen(cmd, "w")
// children) to w. It panics if Open has not been applied to L.
func SetOutput(L *lua.LState, w io.Writer) {
	libOf(L).out = w
}

// Output is where the script's standard output goes.
func Output(L *lua.LState) io.Writer {
	return libOf(L).out
}

func libOf(L *lua.LState) *iolib {
	ud, ok := L.GetField(L.Get(lua.RegistryIndex), registryKey).(*lua.LUserData)
	if !ok {
		panic("iolib: Open was not applied to this Lua state")
	}
	return ud.Value.(*iolib)
}

// newFile makes a file handle. One that is not a standard file is
// tracked, so that the collector closes it once unreachable, as PUC's
// __gc does: a collection may run first.
func (lib *iolib) newFile(L *lua.LState, lf *lfile) *lua.LUserData {
	lf.lib = lib
	ud := L.NewUserData()
	ud.Value = lf
	ud.Metatable = lib.meta
	if !lf.std {
		if err := lgc.MaybeCollect(L); err != nil {
			L.Error(errorObject(err), 0)
		}
		lgc.Track(L, ud)
	}
	return ud
}

// errorObject is the Lua value an error of LState.PCall carries.
func errorObject(err error) lua.LValue {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		return ae.Object
	}
	return lua.LString(err.Error())
}

// fileGC is the handles' __gc, io_gc: it closes a file still open.
func (lib *iolib) fileGC(L *lua.LState) int {
	ud, ok := L.Get(1).(*lua.LUserData)
	var lf *lfile
	if ok {
		lf, ok = ud.Value.(*lfile)
	}
	if !ok {
		lauxlib.TypeError(L, 1, fileTypeName)
	}
	if !lf.closed && !lf.std {
		lib.closeFile(L, lf)
	}
	return 0
}

// toFile is luaL_checkudata for FILE*, then the check for a closed file.
func (lib *iolib) toFile(L *lua.LState, n int) *lfile {
	ud, ok := L.Get(n).(*lua.LUserData)
	var lf *lfile
	if ok {
		lf, ok = ud.Value.(*lfile)
	}
	if !ok {
		lauxlib.TypeError(L, n, fileTypeName)
	}
	if lf.closed {
		lauxlib.Raise(L, "attempt to use a closed file")
	}
	return lf
}

// ioResult is pushresult: true, or nil, "[name: ]C error text", errno.
func ioResult(L *lua.LState, err error, name string) int {
	if err == nil {
		L.Push(lua.LTrue)
		return 1
	}
	msg, code := cError(err)
	if name != "" {
		msg = name + ": " + msg
	}
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	L.Push(lua.LNumber(code))
	return 3
}

// cError is strerror(errno) for err, with the errno.
func cError(err error) (string, int) {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := errno.Error()
		if msg != "" {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
		return msg, int(errno)
	}
	return err.Error(), 0
}

// openFile is fopen: glibc reads the mode's first letter and a '+'.
func openFile(name, mode string) (*os.File, error) {
	var flag int
	switch {
	case strings.HasPrefix(mode, "r"):
		flag = os.O_RDONLY
	case strings.HasPrefix(mode, "w"):
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	case strings.HasPrefix(mode, "a"):
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	default:
		return nil, syscall.EINVAL
	}
	if strings.Contains(mode[1:], "+") {
		flag = flag&^(os.O_RDONLY|os.O_WRONLY) | os.O_RDWR
	}
	return os.OpenFile(name, flag, 0o666)
}

// SetReplaying makes L's io library write nowhere, while on: a file
// opened for writing (or appending, or update) is the null device, as is
// an io.popen's pipe (the program is not run). A host sets it while a
// state replays code another state ran, so that a file is written once.
func SetReplaying(L *lua.LState, on bool) { libOf(L).replaying = on }

func (lib *iolib) ioOpen(L *lua.LState) int {
	name := lauxlib.CheckString(L, 1)
	mode := lauxlib.OptString(L, 2, "r")
	if lib.replaying && !readOnly(mode) && strings.ContainsAny(mode[:1], "rwa") {
		f, err := openFile(os.DevNull, "r+")
		if err != nil {
			return ioResult(L, err, name)
		}
		L.Push(lib.newFile(L, &lfile{f: f}))
		return 1
	}
	f, err := openFile(name, mode)
	if err != nil {
		return ioResult(L, err, name)
	}
	L.Push(lib.newFile(L, &lfile{f: f, readOnly: readOnly(mode)}))
	return 1
}

func (lib *iolib) ioTmpfile(L *lua.LState) int {
	f, err := os.CreateTemp("", "lua_")
	if err != nil {
		return ioResult(L, err, "")
	}
	os.Remove(f.Name())
	L.Push(lib.newFile(L, &lfile{f: f}))
	return 1
}

// ioPopen is io.popen(prog [, mode]) through /bin/sh, as popen(3).
func (lib *iolib) ioPopen(L *lua.LState) int {
	prog := lauxlib.CheckString(L, 1)
	mode := lauxlib.OptString(L, 2, "r")
	if lib.replaying {
		f, err := openFile(os.DevNull, "r+")
		if err != nil {
			return ioResult(L, err, prog)
		}
		L.Push(lib.newFile(L, &lfile{f: f}))
		return 1
	}
	cmd := exec.Command("/bin/sh", "-c", prog)
	cmd.Stderr = os.Stderr
	lf := &lfile{cmd: cmd}
	var err error
	if strings.HasPrefix(mode, "w") {
		var w io.WriteCloser
		if w, err = cmd.StdinPipe(); err == nil {
			cmd.Stdout = lib.out
			lf.pipe = w
			lf.f, err = pipeFile(w)
		}
	} else {
		var r io.ReadCloser
		if r, err = cmd.StdoutPipe(); err == nil {
			lf.pipe = r
			lf.f, err = pipeFile(r)
		}
	}
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		return ioResult(L, err, prog)
	}
	L.Push(lib.newFile(L, lf))
	return 1
}

// pipeFile returns the *os.File behind an exec pipe.
func pipeFile(c io.Closer) (*os.File, error) {
	if f, ok := c.(*os.File); ok {
		return f, nil
	}
	return nil, fmt.Errorf("pipe is %T, not a file", c)
}
