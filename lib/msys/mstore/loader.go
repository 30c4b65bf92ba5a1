// Package mstore is the Lua module msys.mstore: the store-submit return
// values and save/load/inject/delete over the host's message store.
package mstore

import (
	"context"
	"errors"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/mstore"
	"msyshost/lib/retry"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.mstore", Open: open})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	t.RawSetString("MSTORE_CONTINUE", lua.LNumber(retry.MstoreContinue))
	t.RawSetString("MSTORE_DONE", lua.LNumber(retry.MstoreDone))
	L.SetFuncs(t, map[string]lua.LGFunction{
		"save":   save,
		"load":   load,
		"inject": inject,
		"delete": del,
	})
	return t
}

func ctxOf(L *lua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

func storeOf(L *lua.LState) mstore.Store {
	s := luahost.ServicesOf(L).Store
	if s == nil {
		L.RaiseError("msys.mstore: no message store is configured")
	}
	return s
}

func key(L *lua.LState, n int) mstore.Key {
	return mstore.Key{Bucket: L.CheckString(n), ID: L.CheckString(n + 1)}
}

// save is msys.mstore.save(msg, bucket, msgid) → true | nil, err. It returns
// once the copy is durable.
func save(L *lua.LState) int {
	m := luahost.CheckMessage(L, 1)
	k := key(L, 2)
	rec := retry.RecordOf(m, k, mstore.Origin{}, luahost.Now(L))
	if err := storeOf(L).Save(ctxOf(L), rec); err != nil {
		return failed(L, err.Error())
	}
	L.Push(lua.LTrue)
	return 1
}

// load is msys.mstore.load(bucket, msgid) → msg | nil [, err]. A missing
// or expired message gives nil alone; a store failure gives nil and why.
func load(L *lua.LState) int {
	rec, err := storeOf(L).Load(ctxOf(L), key(L, 1))
	if errors.Is(err, mstore.ErrNotFound) {
		L.Push(lua.LNil)
		return 1
	}
	if err != nil {
		return failed(L, err.Error())
	}
	L.Push(luahost.PushMessage(L, retry.MessageOf(rec)))
	return 1
}

// inject is msys.mstore.inject(msg) → true | nil, err: the message goes back
// into the spool with its own envelope.
func inject(L *lua.LState) int {
	m := luahost.CheckMessage(L, 1)
	inj := luahost.ServicesOf(L).Injector
	if inj == nil {
		return failed(L, "msys.mstore.inject: no spool is configured")
	}
	if err := inj.Inject(ctxOf(L), m.Clone()); err != nil {
		return failed(L, err.Error())
	}
	L.Push(lua.LTrue)
	return 1
}

// del is msys.mstore.delete(bucket, msgid) → true | false (not there) |
// nil, err.
func del(L *lua.LState) int {
	err := storeOf(L).Delete(ctxOf(L), key(L, 1))
	switch {
	case err == nil:
		L.Push(lua.LTrue)
		return 1
	case errors.Is(err, mstore.ErrNotFound):
		L.Push(lua.LFalse)
		return 1
	}
	return failed(L, err.Error())
}

// failed returns nil and why, Lua's convention for a runtime failure.
func failed(L *lua.LState, why string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(why))
	return 2
}
