// Package qp is the Lua module msys.qp: quoted-printable encoding (RFC 2045
// section 6.7) and decoding, with an optional charset conversion.
package qp

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/lib/msys/base64"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.qp", Open: open, Notes: map[string]string{
		"msys.qp.encode": "charsets: UTF-8, US-ASCII, ISO-8859-1, Windows-1252",
		"msys.qp.decode": "charsets: UTF-8, US-ASCII, ISO-8859-1, Windows-1252",
	}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"encode": luahost.Func("encode", encode),
		"decode": luahost.Func("decode", decode),
	})
	return t
}

// msys.qp.encode(original[, charset[, dotstuffing]]) → the quoted-printable
// text of original (a string, ec_string or io_object, read to its end),
// converted from UTF-8 to charset first when one is given. Lines end in
// CRLF and are at most 76 characters; with dotstuffing a line that would
// start with "." gets a second one, as SMTP's DATA needs.
func encode(a luahost.Args) int {
	var b []byte
	if o := core.IOClass.To(a.Get(1)); o != nil {
		var err error
		if b, err = o.ReadAll(); err != nil {
			return a.Fail(err)
		}
	} else {
		b = base64.Text(a, 1)
	}
	if cs := a.OptString(2, ""); cs != "" {
		var err error
		if b, err = message.FromUTF8(cs, string(b)); err != nil {
			a.Raise("msys.qp.encode: %v", err)
		}
	}
	s := Encode(b)
	if a.Bool(3) {
		lines := strings.Split(s, "\r\n")
		for i, l := range lines {
			if strings.HasPrefix(l, ".") {
				lines[i] = "." + l
			}
		}
		s = strings.Join(lines, "\r\n")
	}
	return a.Push(lua.LString(s))
}

// msys.qp.decode(text[, charset]) → the decoded bytes, converted from
// charset to UTF-8 when one is given. A "=" that starts neither a soft line
// break nor two hex digits raises an error.
func decode(a luahost.Args) int {
	b, err := Decode(a.String(1))
	if err != nil {
		a.Raise("msys.qp.decode: invalid quoted-printable text: %v", err)
	}
	if cs := a.OptString(2, ""); cs != "" {
		t, err := message.ToUTF8(cs, b)
		if err != nil {
			a.Raise("msys.qp.decode: %v", err)
		}
		return a.Push(lua.LString(t))
	}
	return a.Push(lua.LString(b))
}

// Encode encodes b as quoted-printable: "\n" and "\r\n" are line breaks
// (written CRLF), a lone "\r" is encoded; "=", control bytes, bytes above
// 126, and a space or tab at a line's end are encoded; lines are broken
// with a soft break before they pass 76 characters.
func Encode(b []byte) string {
	const hex = "0123456789ABCDEF"
	var out strings.Builder
	col := 0
	put := func(tok string) {
		if col+len(tok) > 75 {
			out.WriteString("=\r\n")
			col = 0
		}
		out.WriteString(tok)
		col += len(tok)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\n' || c == '\r' && i+1 < len(b) && b[i+1] == '\n':
			if c == '\r' {
				i++
			}
			out.WriteString("\r\n")
			col = 0
		case (c == ' ' || c == '\t') && (i+1 == len(b) || b[i+1] == '\n' || b[i+1] == '\r'):
			put("=" + string(hex[c>>4]) + string(hex[c&15]))
		case c == ' ' || c == '\t' || c >= 33 && c <= 126 && c != '=':
			put(string(c))
		default:
			put("=" + string(hex[c>>4]) + string(hex[c&15]))
		}
	}
	return out.String()
}

// Decode decodes quoted-printable text strictly: "=" must start a soft line
// break (optionally after white space) or two hex digits; Go's
// mime/quotedprintable passes other "=" sequences through, which would hide
// a corrupt body. Trailing white space on a line is dropped (RFC 2045 rule
// 3).
func Decode(s string) ([]byte, error) {
	var out []byte
	lines := strings.SplitAfter(s, "\n")
	for li, line := range lines {
		body := strings.TrimRight(line, "\r\n")
		eol := line[len(body):]
		body = strings.TrimRight(body, " \t")
		soft := strings.HasSuffix(body, "=")
		if soft {
			body = body[:len(body)-1]
		}
		for i := 0; i < len(body); i++ {
			c := body[i]
			if c != '=' {
				out = append(out, c)
				continue
			}
			if i+2 >= len(body) || !isHex(body[i+1]) || !isHex(body[i+2]) {
				return nil, fmt.Errorf("line %d: \"=\" not followed by two hex digits", li+1)
			}
			out = append(out, unhex(body[i+1])<<4|unhex(body[i+2]))
			i += 2
		}
		if !soft && eol != "" {
			out = append(out, eol...)
		}
	}
	return out, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
