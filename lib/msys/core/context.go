package core

import (
	"maps"
	"slices"
	"sort"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/luahost"
)

// The function forms of the message context helpers, as Momentum's mobile
// examples call them (msys.core.ec_message_context_get(msg, type, key)),
// beside the msg:context_* methods; and the blobjects the SMPP conversion
// hooks pass text in.

func openContext(L *lua.LState, t *lua.LTable) {
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"ec_message_context_get":      luahost.Func("ec_message_context_get", contextGet),
		"ec_message_context_set":      luahost.Func("ec_message_context_set", contextSet),
		"ec_message_context_exists":   luahost.Func("ec_message_context_exists", contextExists),
		"ec_message_context_delete":   luahost.Func("ec_message_context_delete", contextDelete),
		"ec_message_context_firstkey": luahost.Func("ec_message_context_firstkey", contextFirstKey),
		"ec_message_context_nextkey":  luahost.Func("ec_message_context_nextkey", contextNextKey),
		"ec_message_blobject_get":     luahost.Func("ec_message_blobject_get", blobjectGet),
		"ec_blobject_delref":          luahost.Func("ec_blobject_delref", blobjectDelref),
		"stringwrite":                 luahost.Func("stringwrite", stringWrite),
	})
	BlobClass.Field(L, "self", func(L *lua.LState, b *Blob) lua.LValue { return StringClass.Push(L, b.Text) }, nil)
}

// msys.core.ec_message_context_firstkey(msg, type) → the first key of the
// context, nil when it is empty.
func contextFirstKey(a luahost.Args) int {
	keys := slices.Sorted(maps.Keys(ctxDict(a, 2))) // Momentum's order is its hash table's; msyshost's is stable
	if len(keys) == 0 {
		return a.Push(lua.LNil)
	}
	return a.Push(lua.LString(keys[0]))
}

// msys.core.ec_message_context_nextkey(msg, type, key) → the key after
// key, nil after the last. Keys are visited in byte order, so a loop that
// sets values as it goes still visits each key once.
func contextNextKey(a luahost.Args) int {
	keys := slices.Sorted(maps.Keys(ctxDict(a, 2)))
	prev := a.String(3)
	i := sort.SearchStrings(keys, prev)
	if i < len(keys) && keys[i] == prev {
		i++
	}
	if i >= len(keys) {
		return a.Push(lua.LNil)
	}
	return a.Push(lua.LString(keys[i]))
}

// Blob is a text blobject of a message: the SMS text or the converted
// e-mail text of the SMPP conversion hooks. It lives in the message
// context under its key, so the channels and the store see it.
type Blob struct {
	Text *ECString
}

// BlobClass is the class of a blobject.
var BlobClass = luahost.NewClass[Blob]("msys.core:_ec_blobject", "blobject")

// msys.core.ec_message_blobject_get(msg, key) → the blobject under key,
// whose .self is an ec_string of its text; nil when the message has none.
func blobjectGet(a luahost.Args) int {
	m := MessageClass.Check(a, 1)
	key := a.String(2)
	v, ok := m.Context[key]
	if !ok {
		return a.Push(lua.LNil)
	}
	return a.Push(BlobClass.Push(a.L, &Blob{Text: &ECString{B: []byte(v)}}))
}

// msys.core.ec_blobject_delref(blob): accepted. Momentum 3.2.3 and later
// release blobjects by garbage collection and warn against calling it;
// msyshost's are always collected.
func blobjectDelref(a luahost.Args) int {
	BlobClass.Check(a, 1)
	return 0
}

// msys.core.stringwrite(str, text[, len]): appends the first len bytes of
// text to the ec_string str (C's stringwrite).
func stringWrite(a luahost.Args) int {
	s := StringClass.Check(a, 1)
	v := a.String(2)
	n := a.OptInt(3, len(v))
	if n < 0 || n > len(v) {
		a.Error(3, "length out of range")
	}
	s.B = append(s.B, v[:n]...)
	return 0
}

// ReadBlob returns the text blob under key of m, as
// msys.smpp.smpp_read_msg_text_blob reads it; ok is false when m has none.
func ReadBlob(m *message.Message, key string) (string, bool) {
	v, ok := m.Context[key]
	return v, ok
}
