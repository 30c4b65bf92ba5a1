package iolib

import (
	"bufio"
	"io"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/number"
)

// read is g_read: each argument is a format ("*n", "*l", "*a") or a byte
// count; the first that fails gives nil and stops the reading.
func (lib *iolib) read(L *lua.LState, lf *lfile, first int) int {
	r := lf.reader()
	nargs := L.GetTop() - first + 1
	if nargs <= 0 {
		line, ok := readLine(r)
		pushRead(L, line, ok)
		return 1
	}
	n := 0
	for i := first; i < first+nargs; i++ {
		var s string
		var ok bool
		switch v := L.Get(i).(type) {
		case lua.LNumber:
			s, ok = readChars(r, number.ToInteger(float64(v)))
		default:
			p, isStr := lauxlib.ToString(v)
			if !isStr || !strings.HasPrefix(p, "*") {
				lauxlib.ArgError(L, i, "invalid option")
			}
			switch p[1:min(2, len(p))] {
			case "n":
				var f float64
				if f, ok = readNumber(r); ok {
					L.Push(lua.LNumber(f))
					n++
					continue
				}
			case "l":
				s, ok = readLine(r)
			case "a":
				s, _ = readChars(r, -1)
				ok = true
			default:
				lauxlib.ArgError(L, i, "invalid format")
			}
		}
		pushRead(L, s, ok)
		n++
		if !ok {
			break
		}
	}
	return n
}

func pushRead(L *lua.LState, s string, ok bool) {
	if ok {
		L.Push(lua.LString(s))
	} else {
		L.Push(lua.LNil)
	}
}

// readLine is read_line: a line without its newline; a last line without
// one counts, an empty end of file does not.
func readLine(r *bufio.Reader) (string, bool) {
	line, err := r.ReadString('\n')
	if err == nil {
		return line[:len(line)-1], true
	}
	return line, line != ""
}

// readChars is read_chars: up to n bytes (n < 0: all); reading 0 bytes
// tests for the end of file.
func readChars(r *bufio.Reader, n int64) (string, bool) {
	if n == 0 {
		_, err := r.Peek(1)
		return "", err == nil
	}
	var b strings.Builder
	var src io.Reader = r
	if n > 0 {
		src = io.LimitReader(r, n)
	}
	io.Copy(&b, src)
	return b.String(), n < 0 || b.Len() > 0
}

// readNumber is fscanf("%lf"): leading whitespace, then the longest
// prefix of a number glibc's scanf accepts (decimal, hex, inf, nan). What
// it consumed is gone even when it does not make a number.
func readNumber(r *bufio.Reader) (float64, bool) {
	for {
		c, err := r.ReadByte()
		if err != nil {
			return 0, false
		}
		if !number.IsSpace(c) {
			r.UnreadByte()
			break
		}
	}
	var b []byte
	peek := func() byte {
		c, err := r.ReadByte()
		if err != nil {
			return 0
		}
		r.UnreadByte()
		return c
	}
	take := func() { c, _ := r.ReadByte(); b = append(b, c) }
	if c := peek(); c == '+' || c == '-' {
		take()
	}
	digits := func(hex bool) int {
		n := 0
		for c := peek(); number.IsDigit(c) || (hex && number.IsXDigit(c)); c = peek() {
			take()
			n++
		}
		return n
	}
	switch c := peek() | 0x20; {
	case c == 'i' || c == 'n':
		word := "infinity"
		if c == 'n' {
			word = "nan"
		}
		for i := 0; i < len(word) && peek()|0x20 == word[i]; i++ {
			take()
		}
	default:
		hex := false
		if peek() == '0' {
			take()
			if peek()|0x20 == 'x' {
				take()
				hex = true
			}
		}
		digits(hex)
		if peek() == '.' {
			take()
			digits(hex)
		}
		mark := byte('e')
		if hex {
			mark = 'p'
		}
		if peek()|0x20 == mark {
			take()
			if c := peek(); c == '+' || c == '-' {
				take()
			}
			digits(false)
		}
	}
	f, n := number.Strtod(string(b))
	return f, n == len(b) && n > 0
}
