package dialect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc"
)

// Open replaces loadstring, load, loadfile and dofile in L's globals, and
// makes puc's require compile with LoadFile, so that code loaded at run
// time is Momentum Lua too. They behave as Lua
// 5.1's: the load functions return nil and "chunk:line: message" on a
// syntax error, chunk names are shown as PUC's luaO_chunkid shows them
// ([string "..."], file names, =names).
func Open(L *lua.LState) {
	L.SetGlobal("loadstring", L.NewFunction(loadString))
	L.SetGlobal("load", L.NewFunction(loadReader))
	L.SetGlobal("loadfile", L.NewFunction(loadFile))
	L.SetGlobal("dofile", L.NewFunction(doFile))
	if dbg, ok := L.GetGlobal("debug").(*lua.LTable); ok {
		dbg.RawSetString("debug", L.NewFunction(debugDebug))
	}
	puc.SetFileLoader(L, LoadFile)
}

// debugDebug is debug.debug(): lines from standard input (through
// io.stdin, so that reads stay in order) run as chunks named
// "=(debug command)" until "cont" or the end of input; errors go to
// standard error, as ldblib.c's db_debug does.
func debugDebug(L *lua.LState) int {
	top := L.GetTop()
	for {
		os.Stderr.WriteString("lua_debug> ")
		line, ok := stdinLine(L)
		if !ok || line == "cont" {
			return 0
		}
		if load(L, []byte(line+"\n"), "=(debug command)") == 1 {
			if err := L.PCall(0, 0, nil); err != nil {
				var ae *lua.ApiError
				msg := err.Error()
				if errors.As(err, &ae) {
					msg = ae.Object.String()
				}
				os.Stderr.WriteString(msg + "\n")
			}
		} else {
			os.Stderr.WriteString(L.Get(-1).String() + "\n")
		}
		L.SetTop(top)
	}
}

// stdinLine reads a line with io.stdin:read("*l").
func stdinLine(L *lua.LState) (string, bool) {
	stdin := L.GetField(L.GetGlobal("io"), "stdin")
	read := L.GetField(stdin, "read")
	if read.Type() != lua.LTFunction {
		return "", false
	}
	L.Push(read)
	L.Push(stdin)
	L.Push(lua.LString("*l"))
	if err := L.PCall(2, 1, nil); err != nil {
		return "", false
	}
	s, ok := L.Get(-1).(lua.LString)
	L.Pop(1)
	return string(s), ok
}

// LoadString compiles src into a function of L as luaL_loadbuffer does:
// chunkName is "=name", "@file" or the source itself, shown as PUC shows
// them; an error's text is what lua5.1's would be.
func LoadString(L *lua.LState, src []byte, chunkName string) (*lua.LFunction, error) {
	proto, err := compileAt(src, chunkID(chunkName, idSize), puc.CCalls(L))
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			se.File = chunkID(chunkName, maxSrc)
		}
		return nil, errors.New(luaMessage(err))
	}
	return Load(L, proto)
}

// LoadFile compiles the Lua file at path into a function of L as
// luaL_loadfile does (a first line starting with '#' skipped, the chunk
// named after the file); an error's text is what lua5.1's would be.
func LoadFile(L *lua.LState, path string) (*lua.LFunction, error) {
	src, chunkName, msg := readChunkFile(path)
	if msg != "" {
		return nil, errors.New(msg)
	}
	proto, err := compileAt(src, chunkID(chunkName, idSize), puc.CCalls(L))
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			se.File = chunkID(chunkName, maxSrc)
		}
		return nil, errors.New(luaMessage(err))
	}
	return Load(L, proto)
}

// Buffer sizes luaO_chunkid is given: LUA_IDSIZE for runtime errors
// (ldebug.c), MAXSRC for syntax errors (llex.c).
const (
	idSize = 60
	maxSrc = 80
)

// chunkID is luaO_chunkid: how a chunk name appears in messages, for a
// buffer of size bytes.
func chunkID(source string, size int) string {
	if i := strings.IndexByte(source, 0); i >= 0 {
		source = source[:i]
	}
	switch {
	case strings.HasPrefix(source, "="):
		s := source[1:]
		if len(s) > size-1 {
			s = s[:size-1]
		}
		return s
	case strings.HasPrefix(source, "@"):
		s := source[1:]
		room := size - len(" '...' ") - 1
		if len(s) > room {
			s = "..." + s[len(s)-room:]
		}
		return s
	default:
		n := strings.IndexAny(source, "\n\r")
		if n < 0 {
			n = len(source)
		}
		room := size - len(` [string "..."] `) - 1
		if n > room {
			n = room
		}
		if n < len(source) {
			return `[string "` + source[:n] + `..."]`
		}
		return `[string "` + source + `"]`
	}
}

// luaMessage is the message a load function returns for err.
func luaMessage(err error) string {
	var se *SyntaxError
	if errors.As(err, &se) {
		return se.LuaMessage()
	}
	return err.Error()
}

// load compiles src and pushes the function, or nil and the message.
func load(L *lua.LState, src []byte, chunkName string) int {
	return loadSource(L, &source{data: src}, chunkName)
}

func loadSource(L *lua.LState, in *source, chunkName string) int {
	proto, err := compileSource(in, chunkID(chunkName, idSize), puc.CCalls(L))
	var se *SyntaxError
	if errors.As(err, &se) {
		se.File = chunkID(chunkName, maxSrc)
	}
	if err == nil {
		var fn *lua.LFunction
		if fn, err = Load(L, proto); err == nil {
			L.Push(fn)
			return 1
		}
	}
	L.Push(lua.LNil)
	L.Push(lua.LString(luaMessage(err)))
	return 2
}

// loadstring(s [, chunkname])
func loadString(L *lua.LState) int {
	s := L.CheckString(1)
	return load(L, []byte(s), L.OptString(2, s))
}

// load(func [, chunkname]): pieces from func until nil or "", read as the
// lexer needs them, as PUC's lua_load reads: a syntax error stops the
// reading. An error the reader raises, or a piece that is not a string,
// is load's error.
func loadReader(L *lua.LState) int {
	reader := L.CheckFunction(1)
	name := L.OptString(2, "=(load)")
	var readErr lua.LValue
	in := &source{pull: func() ([]byte, bool) {
		L.Push(reader)
		if err := L.PCall(0, 1, nil); err != nil {
			var ae *lua.ApiError
			if errors.As(err, &ae) {
				readErr = ae.Object
			} else {
				readErr = lua.LString(err.Error())
			}
			return nil, false
		}
		piece := L.Get(-1)
		L.Pop(1)
		if piece == lua.LNil {
			return nil, false
		}
		if !isStrNum(piece) {
			// luaL_error(L, ...) in load: at the position of load's
			// caller, when that is Lua code.
			msg := "reader function must return a string"
			if dbg, ok := L.GetStack(1); ok {
				if _, err := L.GetInfo("Sl", dbg, nil); err == nil && dbg.CurrentLine > 0 {
					msg = fmt.Sprintf("%s:%d: %s", dbg.Source, dbg.CurrentLine, msg)
				}
			}
			readErr = lua.LString(msg)
			return nil, false
		}
		toStr(&piece)
		s := string(piece.(lua.LString))
		return []byte(s), s != ""
	}}
	n := loadSource(L, in, name)
	if readErr != nil {
		L.Pop(n)
		L.Push(lua.LNil)
		L.Push(readErr)
		return 2
	}
	return n
}

// readChunkFile reads a file as luaL_loadfile does: stdin when name is
// empty, a first line starting with '#' skipped but its newline kept.
func readChunkFile(name string) (src []byte, chunkName string, msg string) {
	var err error
	if name == "" {
		chunkName = "=stdin"
		src, err = io.ReadAll(os.Stdin)
		if err != nil {
			return nil, "", "cannot read stdin: " + strerror(err)
		}
	} else {
		chunkName = "@" + name
		src, err = os.ReadFile(name)
		if err != nil {
			what := "open"
			if errors.Is(err, syscall.EISDIR) {
				what = "read"
			}
			return nil, "", "cannot " + what + " " + name + ": " + strerror(err)
		}
	}
	return skipComment(src), chunkName, ""
}

// skipComment drops a first line starting with '#' (a Unix "#!" line) as
// luaL_loadfile does, keeping its newline so line numbers stay.
func skipComment(src []byte) []byte {
	if len(src) == 0 || src[0] != '#' {
		return src
	}
	if i := bytes.IndexByte(src, '\n'); i >= 0 {
		return src[i:]
	}
	return nil
}

// CompileFile compiles the contents of a script file as Compile does,
// skipping a first line that starts with '#' as lua5.1 does for every file
// it loads (the main script, dofile, loadfile, require).
func CompileFile(src []byte, chunkName string) (*lua.FunctionProto, error) {
	return Compile(skipComment(src), chunkName)
}

// strerror spells err as C's strerror does ("No such file or directory").
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// loadfile([filename])
func loadFile(L *lua.LState) int {
	src, chunkName, msg := readChunkFile(L.OptString(1, ""))
	if msg != "" {
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	return load(L, src, chunkName)
}

// dofile([filename]): runs the file, propagating its errors and results.
func doFile(L *lua.LState) int {
	src, chunkName, msg := readChunkFile(L.OptString(1, ""))
	if msg != "" {
		L.Error(lua.LString(msg), 0)
	}
	top := L.GetTop()
	if load(L, src, chunkName) != 1 {
		L.Error(L.Get(-1), 0)
	}
	L.Call(0, lua.MultRet)
	return L.GetTop() - top
}
