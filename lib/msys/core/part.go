package core

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/luahost"
)

// PartClass is the class of a MIME part (msgpart). Momentum documents no
// name for msys.type to report; this follows its _ec_* naming.
var PartClass = luahost.NewClass[PartRef]("msys.core:_ec_mime_part", "msgpart")

// PartRef is the Go value of a msgpart: the part and whether it came from
// a read-only tree (msg:mime() without false); editing through a
// read-only reference is a runtime error.
type PartRef struct {
	Part     *message.Part
	ReadOnly bool
}

// PushPart returns p as a msgpart; nil gives nil.
func PushPart(L *lua.LState, p *message.Part, readOnly bool) lua.LValue {
	if p == nil {
		return lua.LNil
	}
	return PartClass.Push(L, &PartRef{Part: p, ReadOnly: readOnly})
}

// WritablePart returns argument n as a msgpart that may be edited, or
// raises the read-only error.
func WritablePart(a luahost.Args, n int) *PartRef {
	p := PartClass.Check(a, n)
	if p.ReadOnly {
		a.Raise("%s: MIME part is read-only (get a writable tree with msg:mime(false))", a.Name)
	}
	return p
}

// EditPart returns argument n as a msgpart to edit. A read-only part
// raises the read-only error; a part whose message has replaced the tree
// it was in (msg:raw(x), a re-parsed container) comes back with
// message.ErrDetached, which the binding returns as nil, "message".
func EditPart(a luahost.Args, n int) (*message.Part, error) {
	p := WritablePart(a, n).Part
	if p.Detached() {
		return p, message.ErrDetached
	}
	return p, nil
}

func openPart(L *lua.LState) {
	luahost.SetFuncs(L, PartClass.Methods(L), map[string]lua.LGFunction{
		"unlink": luahost.Method("unlink", partUnlink),
	})
	luahost.SetFuncs(L, PartClass.Meta(L), map[string]lua.LGFunction{
		"__eq":       luahost.Func("__eq", partEq),
		"__tostring": luahost.Func("tostring", partToString),
	})
}

// msgpart:unlink() → true when the part (and its children)
// was removed from its container, false when it was not linked; nil and an
// error for a detached part.
func partUnlink(a luahost.Args) int {
	p, err := EditPart(a, 1)
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LBool(p.Unlink()))
}

// p1 == p2: the same part.
func partEq(a luahost.Args) int {
	x, y := PartClass.To(a.L.Get(1)), PartClass.To(a.L.Get(2))
	return a.Push(lua.LBool(x != nil && y != nil && x.Part == y.Part))
}

// tostring(p) → "msgpart: <media type>".
func partToString(a luahost.Args) int {
	return a.Push(lua.LString("msgpart: " + PartClass.Check(a, 1).Part.MediaType()))
}
