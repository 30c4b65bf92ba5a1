package iolib

import (
	"bufio"
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

// lfile is one Lua file handle.
type lfile struct {
	f      *os.File // nil for io.stdout, which writes to the host's output
	lib    *iolib
	r      *bufio.Reader // created by the first read
	std    bool          // io.stdin, io.stdout, io.stderr cannot be closed
	closed bool
	cmd    *exec.Cmd // io.popen
	pipe   io.Closer
	// Writes to a file io.open opened wait in wbuf as in C stdio's
	// buffer: "full" until vsize bytes, "line" until a newline, or "no"
	// (setvbuf). Standard files and pipes are written at once.
	wbuf     []byte
	vmode    int
	vsize    int
	readOnly bool // opened for reading only: writes fail, as C's do
}

// readOnly reports whether fopen's mode opens for reading only.
func readOnly(mode string) bool { return !strings.ContainsAny(mode, "wa+") }

// Buffering modes of a file (setvbuf).
const (
	bufFull = iota
	bufLine
	bufNo
)

// Sizes of a file's buffer: glibc's for a new file (the block size of
// common file systems), and Lua's LUAL_BUFFERSIZE for setvbuf.
const (
	fileBufSize    = 4096
	setvbufBufSize = 8192
)

// buffered reports whether writes to lf wait in its buffer.
func (lf *lfile) buffered() bool {
	return lf.f != nil && !lf.std && lf.cmd == nil && lf.vmode != bufNo
}

// put writes s as C's fwrite does into lf's buffer.
func (lf *lfile) put(s string) error {
	if lf.readOnly {
		return syscall.EBADF
	}
	if !lf.buffered() {
		_, err := io.WriteString(lf.writer(), s)
		return err
	}
	lf.wbuf = append(lf.wbuf, s...)
	size := lf.vsize
	if size <= 0 {
		size = fileBufSize
	}
	if len(lf.wbuf) >= size || lf.vmode == bufLine && strings.Contains(s, "\n") {
		return lf.flushBuffer()
	}
	return nil
}

// flushBuffer writes what lf's buffer holds.
func (lf *lfile) flushBuffer() error {
	if len(lf.wbuf) == 0 {
		return nil
	}
	_, err := lf.f.Write(lf.wbuf)
	lf.wbuf = lf.wbuf[:0]
	return err
}

func (lf *lfile) writer() io.Writer {
	if lf.f == nil {
		return lf.lib.out
	}
	return lf.f
}

func (lf *lfile) reader() *bufio.Reader {
	lf.flushBuffer() // C requires a flush between a write and a read; glibc does it
	if lf.r == nil {
		var src io.Reader = eofReader{}
		if lf.f != nil {
			src = lf.f
		}
		lf.r = bufio.NewReader(src)
	}
	return lf.r
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, syscall.EBADF }

// unread gives back what the reader buffered but Lua has not read, so
// that writes and seeks happen at the position Lua sees.
func (lf *lfile) unread() error {
	if lf.r == nil || lf.f == nil {
		return nil
	}
	if n := lf.r.Buffered(); n > 0 {
		if _, err := lf.f.Seek(int64(-n), io.SeekCurrent); err != nil {
			return err
		}
	}
	lf.r.Reset(lf.f)
	return nil
}

func (lib *iolib) ioType(L *lua.LState) int {
	lauxlib.CheckAny(L, 1)
	ud, ok := L.Get(1).(*lua.LUserData)
	lf, isFile := (*lfile)(nil), false
	if ok {
		lf, isFile = ud.Value.(*lfile)
	}
	switch {
	case !isFile:
		L.Push(lua.LNil)
	case lf.closed:
		L.Push(lua.LString("closed file"))
	default:
		L.Push(lua.LString("file"))
	}
	return 1
}

func (lib *iolib) fileToString(L *lua.LState) int {
	ud, _ := L.Get(1).(*lua.LUserData)
	var lf *lfile
	if ud != nil {
		lf, _ = ud.Value.(*lfile)
	}
	if lf == nil || lf.closed {
		L.Push(lua.LString("file (closed)"))
	} else {
		L.Push(lua.LString(fmt.Sprintf("file (%p)", lf)))
	}
	return 1
}

// ioFile is io.input/io.output: the current file, or a new one opened
// from a name, or the file given.
func (lib *iolib) ioFile(L *lua.LState, cur **lua.LUserData, mode string) int {
	if !lauxlib.IsNoneOrNil(L, 1) {
		if name, ok := L.Get(1).(lua.LString); ok {
			f, err := openFile(string(name), mode)
			if err != nil {
				msg, _ := cError(err)
				lauxlib.ArgError(L, 1, string(name)+": "+msg)
			}
			*cur = lib.newFile(L, &lfile{f: f, readOnly: readOnly(mode)})
		} else {
			lib.toFile(L, 1)
			*cur = L.Get(1).(*lua.LUserData)
		}
		lib.keepDefaults(L)
	}
	L.Push(*cur)
	return 1
}

// keepDefaults keeps the default files where the collector sees them
// (the registry), as PUC keeps them in the io library's environment: a
// file only io.input or io.output holds is not garbage.
func (lib *iolib) keepDefaults(L *lua.LState) {
	L.G.Registry.RawSetString(registryKey+".input", lib.input)
	L.G.Registry.RawSetString(registryKey+".output", lib.output)
}

func (lib *iolib) ioInput(L *lua.LState) int  { return lib.ioFile(L, &lib.input, "r") }
func (lib *iolib) ioOutput(L *lua.LState) int { return lib.ioFile(L, &lib.output, "w") }

// defaultFile is getiofile: the default input or output, unless closed.
func (lib *iolib) defaultFile(L *lua.LState, ud *lua.LUserData, what string) *lfile {
	lf := ud.Value.(*lfile)
	if lf.closed {
		lauxlib.Raise(L, "standard %s file is closed", what)
	}
	return lf
}

func (lib *iolib) closeFile(L *lua.LState, lf *lfile) int {
	if lf.std {
		L.Push(lua.LNil)
		L.Push(lua.LString("cannot close standard file"))
		return 2
	}
	lf.closed = true
	err := lf.flushBuffer()
	if lf.cmd != nil {
		err = lf.pipe.Close()
		if werr := lf.cmd.Wait(); err == nil {
			var exit *exec.ExitError
			if !errors.As(werr, &exit) {
				err = werr
			}
		}
	} else if cerr := lf.f.Close(); err == nil {
		err = cerr
	}
	return ioResult(L, err, "")
}

func (lib *iolib) ioClose(L *lua.LState) int {
	if lauxlib.IsNoneOrNil(L, 1) {
		return lib.closeFile(L, lib.defaultFile(L, lib.output, "output"))
	}
	return lib.closeFile(L, lib.toFile(L, 1))
}

func (lib *iolib) fileClose(L *lua.LState) int { return lib.closeFile(L, lib.toFile(L, 1)) }

// flush is fflush: the buffer written (to the kernel, not synced).
func (lib *iolib) flush(L *lua.LState, lf *lfile) int {
	var err error
	if lf.f != nil {
		err = lf.flushBuffer()
	}
	return ioResult(L, err, "")
}

func (lib *iolib) ioFlush(L *lua.LState) int {
	return lib.flush(L, lib.defaultFile(L, lib.output, "output"))
}

func (lib *iolib) fileFlush(L *lua.LState) int { return lib.flush(L, lib.toFile(L, 1)) }

// write is g_write: numbers with %.14g, strings as they are.
func (lib *iolib) write(L *lua.LState, lf *lfile, first int) int {
	var b strings.Builder
	for i := first; i <= L.GetTop(); i++ {
		b.WriteString(lauxlib.CheckString(L, i))
	}
	err := lf.unread()
	if err == nil {
		err = lf.put(b.String())
	}
	return ioResult(L, err, "")
}

func (lib *iolib) ioWrite(L *lua.LState) int {
	return lib.write(L, lib.defaultFile(L, lib.output, "output"), 1)
}

func (lib *iolib) fileWrite(L *lua.LState) int { return lib.write(L, lib.toFile(L, 1), 2) }

func (lib *iolib) ioRead(L *lua.LState) int {
	return lib.read(L, lib.defaultFile(L, lib.input, "input"), 1)
}

func (lib *iolib) fileRead(L *lua.LState) int { return lib.read(L, lib.toFile(L, 1), 2) }

func (lib *iolib) fileSeek(L *lua.LState) int {
	lf := lib.toFile(L, 1)
	whence := checkOption(L, 2, "cur", []string{"set", "cur", "end"})
	offset := lauxlib.OptInteger(L, 3, 0)
	if lf.f == nil {
		return ioResult(L, syscall.ESPIPE, "")
	}
	if err := lf.unread(); err != nil {
		return ioResult(L, err, "")
	}
	if err := lf.flushBuffer(); err != nil {
		return ioResult(L, err, "")
	}
	pos, err := lf.f.Seek(offset, whence)
	if err != nil {
		return ioResult(L, err, "")
	}
	L.Push(lua.LNumber(pos))
	return 1
}

// fileSetvbuf is f:setvbuf(mode [, size]); what was buffered is written
// first.
func (lib *iolib) fileSetvbuf(L *lua.LState) int {
	lf := lib.toFile(L, 1)
	mode := checkOption(L, 2, "", []string{"full", "line", "no"})
	size := lauxlib.OptInteger(L, 3, setvbufBufSize)
	if err := lf.flushBuffer(); err != nil && lf.f != nil {
		return ioResult(L, err, "")
	}
	lf.vmode, lf.vsize = mode, int(size)
	L.Push(lua.LTrue)
	return 1
}

// FlushAll writes what every file's buffer holds, as C's exit does
// before the process ends.
func FlushAll(L *lua.LState) {
	for _, ud := range lgc.TrackedOf(L).Userdata {
		if lf, ok := ud.Value.(*lfile); ok && !lf.closed && lf.f != nil {
			lf.flushBuffer()
		}
	}
}

// checkOption is luaL_checkoption: the index of the argument in names.
func checkOption(L *lua.LState, n int, def string, names []string) int {
	var s string
	if def != "" {
		s = lauxlib.OptString(L, n, def)
	} else {
		s = lauxlib.CheckString(L, n)
	}
	for i, name := range names {
		if name == s {
			return i
		}
	}
	lauxlib.ArgError(L, n, "invalid option '"+s+"'")
	return 0
}

func (lib *iolib) ioLines(L *lua.LState) int {
	if lauxlib.IsNoneOrNil(L, 1) {
		lib.defaultFile(L, lib.input, "input")
		L.Push(lib.linesIterator(L, lib.input, false))
		return 1
	}
	name := lauxlib.CheckString(L, 1)
	f, err := openFile(name, "r")
	if err != nil {
		msg, _ := cError(err)
		lauxlib.ArgError(L, 1, name+": "+msg)
	}
	L.Push(lib.linesIterator(L, lib.newFile(L, &lfile{f: f, readOnly: readOnly("r")}), true))
	return 1
}

func (lib *iolib) fileLines(L *lua.LState) int {
	lib.toFile(L, 1)
	L.Push(lib.linesIterator(L, L.Get(1).(*lua.LUserData), false))
	return 1
}

// linesIterator reads a line per call; io.lines(name) closes its file at
// the end.
func (lib *iolib) linesIterator(L *lua.LState, ud *lua.LUserData, closeAtEOF bool) *lua.LFunction {
	// The handle is the closure's upvalue, which the collector sees.
	return L.NewClosure(func(L *lua.LState) int {
		lf := ud.Value.(*lfile)
		if lf.closed {
			lauxlib.Raise(L, "file is already closed")
		}
		if line, ok := readLine(lf.reader()); ok {
			L.Push(lua.LString(line))
			return 1
		}
		if closeAtEOF {
			lib.closeFile(L, lf)
		}
		return 0
	}, ud)
}
