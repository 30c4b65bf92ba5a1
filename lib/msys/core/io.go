package core

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// IOClass is the class of msys.core.io_wrapper_open's handles, named as
// the Momentum docs name it.
var IOClass = luahost.NewClass[IOObject]("msys.core:_io_object", "io_object")

// IOObject is the Go value of an io_object: an open file.
type IOObject struct {
	f *os.File
	r *bufio.Reader // created on first read; writes and seeks drop it
}

// ReadAll reads what is left of the file (msg:build attaches an io_object
// this way).
func (o *IOObject) ReadAll() ([]byte, error) {
	if o.f == nil {
		return nil, errors.New("io_object is closed")
	}
	if o.r != nil {
		return io.ReadAll(o.r)
	}
	return io.ReadAll(o.f)
}

// ioArg returns argument n as an open io_object.
func ioArg(a luahost.Args, n int) *IOObject {
	o := IOClass.Check(a, n)
	if o.f == nil {
		a.Raise("attempt to use a closed io_object")
	}
	return o
}

func openIO(L *lua.LState, core *lua.LTable) {
	core.RawSetString("io_wrapper_open", L.NewFunction(luahost.Func("io_wrapper_open", ioWrapperOpen)))
	luahost.SetFuncs(L, IOClass.Methods(L), map[string]lua.LGFunction{
		"write": luahost.Method("write", ioWrite),
		"read":  luahost.Method("read", ioRead),
		"seek":  luahost.Method("seek", ioSeek),
		"close": luahost.Method("close", ioClose),
	})
	luahost.SetFuncs(L, IOClass.Meta(L), map[string]lua.LGFunction{
		"__tostring": luahost.Func("tostring", func(a luahost.Args) int {
			o := IOClass.To(a.L.Get(1))
			if o == nil || o.f == nil {
				return a.Push(lua.LString("io_object (closed)"))
			}
			return a.Push(lua.LString("io_object (" + o.f.Name() + ")"))
		}),
	})
}

// msys.core.io_wrapper_open(filename, flags, mode) → an
// io_object, or nil and an error. flags OR together msys.core.O_* (Linux
// open(2) values). mode is the permission of a created file: Lua has no
// octal literals, so the 0644 of Momentum's example arrives as decimal
// 644; a mode whose decimal digits are all octal digits is read as octal.
// Writes block; Momentum advises running them in a thread pool.
func ioWrapperOpen(a luahost.Args) int {
	name := a.String(1)
	flags := a.Int(2)
	mode := a.OptInt(3, 0o644)
	if m, err := strconv.ParseInt(strconv.Itoa(mode), 8, 32); err == nil {
		mode = int(m)
	}
	var goFlags int
	switch flags & 0x3 {
	case OWronly:
		goFlags = os.O_WRONLY
	case ORdwr:
		goFlags = os.O_RDWR
	default:
		goFlags = os.O_RDONLY
	}
	if flags&OCreat != 0 {
		goFlags |= os.O_CREATE
	}
	if flags&OAppend != 0 {
		goFlags |= os.O_APPEND
	}
	if flags&OTrunc != 0 {
		goFlags |= os.O_TRUNC
	}
	f, err := os.OpenFile(name, goFlags, os.FileMode(mode)&os.ModePerm)
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(IOClass.Push(a.L, &IOObject{f: f}))
}

// h:write(data[, len]) → the number of bytes written (the first
// len bytes of data), or nil and an error.
func ioWrite(a luahost.Args) int {
	o := ioArg(a, 1)
	data := a.String(2)
	n := a.OptInt(3, len(data))
	if n < 0 || n > len(data) {
		n = len(data)
	}
	if o.r != nil {
		if _, err := o.f.Seek(-int64(o.r.Buffered()), io.SeekCurrent); err != nil {
			return a.Fail(err)
		}
		o.r = nil
	}
	w, err := o.f.Write([]byte(data[:n]))
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LNumber(w))
}

// h:read([format]) → as Lua's file:read: "*l" (the default) a
// line without its newline, "*a" the rest of the file, a number that many
// bytes; nil at end of file.
func ioRead(a luahost.Args) int {
	o := ioArg(a, 1)
	if o.r == nil {
		o.r = bufio.NewReader(o.f)
	}
	switch v := a.L.Get(2).(type) {
	case lua.LNumber:
		if v < 0 || v != v {
			a.Error(2, "non-negative byte count expected")
		}
		// CopyN grows the buffer only as far as the file goes: the count
		// comes from the script and may be far larger than memory.
		var buf bytes.Buffer
		n, err := io.CopyN(&buf, o.r, int64(min(float64(v), math.MaxInt64)))
		if err != nil && err != io.EOF {
			return a.Fail(err)
		}
		if n == 0 && v >= 1 {
			return a.Push(lua.LNil)
		}
		return a.Push(lua.LString(buf.Bytes()))
	case lua.LString:
		switch string(v) {
		case "*a", "*all", "a":
			b, err := io.ReadAll(o.r)
			if err != nil {
				return a.Fail(err)
			}
			return a.Push(lua.LString(b))
		case "*l", "*line", "l":
		default:
			a.Error(2, "invalid format")
		}
	case *lua.LNilType:
	default:
		a.Error(2, "invalid format")
	}
	line, err := o.r.ReadString('\n')
	if line == "" && err != nil {
		return a.Push(lua.LNil)
	}
	if len(line) > 0 && line[len(line)-1] == '\n' {
		line = line[:len(line)-1]
	}
	return a.Push(lua.LString(line))
}

// h:seek([whence[, offset]]) → the new position from the start,
// as Lua's file:seek ("set", "cur" (the default) or "end").
func ioSeek(a luahost.Args) int {
	o := ioArg(a, 1)
	whence := io.SeekCurrent
	switch w := a.OptString(2, "cur"); w {
	case "set":
		whence = io.SeekStart
	case "cur":
	case "end":
		whence = io.SeekEnd
	default:
		a.Error(2, "invalid option '"+w+"'")
	}
	off := int64(a.OptInt(3, 0))
	if o.r != nil && whence == io.SeekCurrent {
		off -= int64(o.r.Buffered())
	}
	o.r = nil
	pos, err := o.f.Seek(off, whence)
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LNumber(pos))
}

// h:close() → true, or nil and an error. Dropping the handle
// closes the file too, at garbage collection.
func ioClose(a luahost.Args) int {
	o := ioArg(a, 1)
	err := o.f.Close()
	o.f, o.r = nil, nil
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LTrue)
}
