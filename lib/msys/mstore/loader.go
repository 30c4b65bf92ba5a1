// Package mstore is the Lua module msys.mstore: the store-submit return
// values and save/load/inject/delete over the host's message store.
package mstore

import (
	"context"
	"errors"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/lib/mstore"
	"msyshost/lib/msys/core"
	"msyshost/lib/retry"
	"msyshost/luahost"
)

// Store is the message store msys.mstore works on.
var Store = luahost.NewService[mstore.Store]("message store")

func init() {
	luahost.Register(luahost.Binding{Name: "msys.mstore", Open: open})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	t.RawSetString("MSTORE_CONTINUE", lua.LNumber(hook.MstoreContinue))
	t.RawSetString("MSTORE_DONE", lua.LNumber(hook.MstoreDone))
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"save":   luahost.Func("save", save, luahost.Effect),
		"load":   luahost.Func("load", load),
		"inject": luahost.Func("inject", inject, luahost.Effect),
		"delete": luahost.Func("delete", del, luahost.Effect),
	})
	return t
}

func ctxOf(L *lua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

func storeOf(a luahost.Args) mstore.Store {
	s, ok := Store.Get(a.L)
	if !ok || s == nil {
		a.Raise("msys.mstore: no message store is configured")
	}
	return s
}

func key(a luahost.Args, n int) mstore.Key {
	return mstore.Key{Bucket: a.String(n), ID: a.String(n + 1)}
}

// msys.mstore.save(msg, bucket, msgid) → true, or nil and an error. It
// returns once the copy is durable.
func save(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	k := key(a, 2)
	rec := retry.RecordOf(m, k, mstore.Origin{}, luahost.Now(a.L))
	if err := storeOf(a).Save(ctxOf(a.L), rec); err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LTrue)
}

// msys.mstore.load(bucket, msgid) → msg, or nil when it is not stored
// (missing or expired), or nil and an error when the store failed. The id
// of any segment of a long SMS loads the message.
func load(a luahost.Args) int {
	k := key(a, 1)
	rec, err := mstore.LoadMessage(ctxOf(a.L), storeOf(a), k)
	if errors.Is(err, mstore.ErrNotFound) {
		return a.Push(lua.LNil)
	}
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(core.MessageClass.Push(a.L, retry.MessageOf(rec)))
}

// msys.mstore.inject(msg) → true, or nil and an error: the message goes
// back into the spool with its own envelope.
func inject(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	inj, ok := core.Injector.Get(a.L)
	if !ok || inj == nil {
		return a.Failf("msys.mstore.inject: no spool is configured")
	}
	if err := inj.Inject(ctxOf(a.L), m.Clone()); err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LTrue)
}

// msys.mstore.delete(bucket, msgid) → true, false when it was not stored,
// or nil and an error. For a long SMS, the id of any segment deletes the
// message and every segment alias.
func del(a luahost.Args) int {
	k := key(a, 1)
	_, err := mstore.DeleteMessage(ctxOf(a.L), storeOf(a), k)
	switch {
	case err == nil:
		return a.Push(lua.LTrue)
	case errors.Is(err, mstore.ErrNotFound):
		return a.Push(lua.LFalse)
	}
	return a.Fail(err)
}
