package core

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

func openMessage(L *lua.LState) {
	SetFuncs(L, luahost.ClassMethods(L, luahost.MessageClass), map[string]lua.LGFunction{
		"context_set":            Method("context_set", contextSet),
		"context_get":            Method("context_get", contextGet),
		"context_exists":         Method("context_exists", contextExists),
		"context_exists_and_get": Method("context_exists_and_get", contextExistsAndGet),
		"context_delete":         Method("context_delete", contextDelete),
		"get_message_size":       Method("get_message_size", getMessageSize),
		"get_delivery_method":    Method("get_delivery_method", getDeliveryMethod),
		"is_mcmt":                Method("is_mcmt", isMCMT),
	})
	SetFuncs(L, luahost.ClassMeta(L, luahost.MessageClass), map[string]lua.LGFunction{
		"__tostring": Func("tostring", msgToString),
		"__eq":       Func("__eq", msgEq),
	})
}

// ctx checks the selector argument and returns the dictionary it names.
func (a Args) ctx(n int) map[string]string {
	m := a.Message(1)
	which := a.Int(n)
	d := m.Ctx(which)
	if d == nil {
		a.Error(n, "msys.core.ECMESS_CTX_MESS or ECMESS_CTX_CONN expected")
	}
	return d
}

// msg:context_set(type, key, value): stores value (a string;
// numbers are stored as PUC prints them) under key in the message
// (ECMESS_CTX_MESS) or connection (ECMESS_CTX_CONN) context.
func contextSet(a Args) int {
	d := a.ctx(2)
	d[a.String(3)] = a.String(4)
	return 0
}

// msg:context_get(type, key) → string: always a string, ""
// when the key is missing.
func contextGet(a Args) int {
	d := a.ctx(2)
	return a.Push(lua.LString(d[a.String(3)]))
}

// msg:context_exists(type, key) → 1 or 0 (numbers: 0 is
// true in Lua, compare explicitly).
func contextExists(a Args) int {
	d := a.ctx(2)
	_, ok := d[a.String(3)]
	return a.Push(bit(ok))
}

// msg:context_exists_and_get(type, key) → 1, value
// or 0, nil.
func contextExistsAndGet(a Args) int {
	d := a.ctx(2)
	v, ok := d[a.String(3)]
	if !ok {
		return a.Push(lua.LNumber(0), lua.LNil)
	}
	return a.Push(lua.LNumber(1), lua.LString(v))
}

// msg:context_delete(type, key) → 1 when the key was
// deleted, 0 when it did not exist.
func contextDelete(a Args) int {
	d := a.ctx(2)
	k := a.String(3)
	_, ok := d[k]
	delete(d, k)
	return a.Push(bit(ok))
}

func bit(ok bool) lua.LNumber {
	if ok {
		return 1
	}
	return 0
}

// msg:get_message_size() → the size of the raw message
// in bytes, headers included.
func getMessageSize(a Args) int {
	return a.Push(lua.LNumber(a.Message(1).Size()))
}

// msg:get_delivery_method() → "esmtp", "smpp",
// "mm7", ... from the message context key message.KeyDeliveryMethod.
func getDeliveryMethod(a Args) int {
	return a.Push(lua.LString(a.Message(1).DeliveryMethod()))
}

// msg:is_mcmt() → true for an MM7 multi-channel message (the
// message context key message.KeyMCMT is "1").
func isMCMT(a Args) int {
	return a.Push(lua.LBool(a.Message(1).IsMCMT()))
}

// tostring(msg) → "ec_message: <id>".
func msgToString(a Args) int {
	return a.Push(lua.LString("ec_message: " + a.Message(1).ID))
}

// msg1 == msg2: the same message.
func msgEq(a Args) int {
	return a.Push(lua.LBool(luahost.ToMessage(a.L.Get(1)) == luahost.ToMessage(a.L.Get(2))))
}
