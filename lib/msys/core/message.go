package core

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

func openMessage(L *lua.LState) {
	luahost.SetFuncs(L, MessageClass.Methods(L), map[string]lua.LGFunction{
		"context_set":            luahost.Method("context_set", contextSet),
		"context_get":            luahost.Method("context_get", contextGet),
		"context_exists":         luahost.Method("context_exists", contextExists),
		"context_exists_and_get": luahost.Method("context_exists_and_get", contextExistsAndGet),
		"context_delete":         luahost.Method("context_delete", contextDelete),
		"get_message_size":       luahost.Method("get_message_size", getMessageSize),
		"get_delivery_method":    luahost.Method("get_delivery_method", getDeliveryMethod),
		"is_mcmt":                luahost.Method("is_mcmt", isMCMT),
	})
	luahost.SetFuncs(L, MessageClass.Meta(L), map[string]lua.LGFunction{
		"__tostring": luahost.Func("tostring", msgToString),
		"__eq":       luahost.Func("__eq", msgEq),
	})
}

// ctxDict checks the selector argument and returns the dictionary it
// names.
func ctxDict(a luahost.Args, n int) map[string]string {
	m := MessageClass.Check(a, 1)
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
func contextSet(a luahost.Args) int {
	d := ctxDict(a, 2)
	d[a.String(3)] = a.String(4)
	return 0
}

// msg:context_get(type, key) → string: always a string, ""
// when the key is missing.
func contextGet(a luahost.Args) int {
	d := ctxDict(a, 2)
	return a.Push(lua.LString(d[a.String(3)]))
}

// msg:context_exists(type, key) → 1 or 0 (numbers: 0 is
// true in Lua, compare explicitly).
func contextExists(a luahost.Args) int {
	d := ctxDict(a, 2)
	_, ok := d[a.String(3)]
	return a.Push(bit(ok))
}

// msg:context_exists_and_get(type, key) → 1, value
// or 0, nil.
func contextExistsAndGet(a luahost.Args) int {
	d := ctxDict(a, 2)
	v, ok := d[a.String(3)]
	if !ok {
		return a.Push(lua.LNumber(0), lua.LNil)
	}
	return a.Push(lua.LNumber(1), lua.LString(v))
}

// msg:context_delete(type, key) → 1 when the key was
// deleted, 0 when it did not exist.
func contextDelete(a luahost.Args) int {
	d := ctxDict(a, 2)
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
func getMessageSize(a luahost.Args) int {
	return a.Push(lua.LNumber(MessageClass.Check(a, 1).Size()))
}

// msg:get_delivery_method() → "esmtp", "smpp",
// "mm7", ... from the message context key message.KeyDeliveryMethod.
func getDeliveryMethod(a luahost.Args) int {
	return a.Push(lua.LString(MessageClass.Check(a, 1).DeliveryMethod()))
}

// msg:is_mcmt() → true for an MM7 multi-channel message (the
// message context key message.KeyMCMT is "1").
func isMCMT(a luahost.Args) int {
	return a.Push(lua.LBool(MessageClass.Check(a, 1).IsMCMT()))
}

// tostring(msg) → "ec_message: <id>".
func msgToString(a luahost.Args) int {
	return a.Push(lua.LString("ec_message: " + MessageClass.Check(a, 1).ID))
}

// msg1 == msg2: the same message.
func msgEq(a luahost.Args) int {
	return a.Push(lua.LBool(MessageClass.To(a.L.Get(1)) == MessageClass.To(a.L.Get(2))))
}
