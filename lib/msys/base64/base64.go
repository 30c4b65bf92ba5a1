// Package base64 is the Lua module msys.base64: base64 encoding and
// decoding with an optional charset conversion of the text.
package base64

import (
	"encoding/base64"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.base64", Open: open, Notes: map[string]string{
		"msys.base64.encode": "charsets: UTF-8, US-ASCII, ISO-8859-1, Windows-1252",
		"msys.base64.decode": "charsets: UTF-8, US-ASCII, ISO-8859-1, Windows-1252",
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

// Text returns argument n as bytes: a string (or number) or an ec_string.
func Text(a luahost.Args, n int) []byte {
	if s := core.StringClass.To(a.Get(n)); s != nil {
		return s.B
	}
	if _, ok := luahost.ToString(a.Get(n)); !ok {
		a.TypeError(n, "string or ec_string")
	}
	return []byte(a.String(n))
}

// msys.base64.encode(original[, fold[, charset]]) → the base64 text of
// original (a string or ec_string), converted from UTF-8 to charset first
// when one is given; fold breaks the text with CRLF every 76 characters.
func encode(a luahost.Args) int {
	b := Text(a, 1)
	fold := a.Bool(2)
	if cs := a.OptString(3, ""); cs != "" {
		var err error
		if b, err = message.FromUTF8(cs, string(b)); err != nil {
			a.Raise("msys.base64.encode: %v", err)
		}
	}
	s := base64.StdEncoding.EncodeToString(b)
	if fold {
		var f strings.Builder
		for len(s) > 76 {
			f.WriteString(s[:76])
			f.WriteString("\r\n")
			s = s[76:]
		}
		f.WriteString(s)
		s = f.String()
	}
	return a.Push(lua.LString(s))
}

// msys.base64.decode(text[, charset]) → the decoded bytes, converted from
// charset to UTF-8 when one is given. Line breaks and spaces in text are
// ignored, as in a MIME body; anything else that is not base64 raises an
// error.
func decode(a luahost.Args) int {
	s := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, a.String(1))
	enc := base64.StdEncoding
	if len(s)%4 != 0 && !strings.Contains(s, "=") {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		a.Raise("msys.base64.decode: invalid base64 text: %v", err)
	}
	if cs := a.OptString(2, ""); cs != "" {
		t, err := message.ToUTF8(cs, b)
		if err != nil {
			a.Raise("msys.base64.decode: %v", err)
		}
		return a.Push(lua.LString(t))
	}
	return a.Push(lua.LString(b))
}
