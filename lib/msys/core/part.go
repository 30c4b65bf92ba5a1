package core

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/luahost"
)

// PartClass is the class name of a MIME part (msgpart) as msys.type
// reports it. Momentum documents none; this follows its _ec_* naming.
const PartClass = "msys.core:_ec_mime_part"

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
	return luahost.NewObject(L, PartClass, &PartRef{Part: p, ReadOnly: readOnly})
}

// ToPart returns v as a PartRef, or nil.
func ToPart(v lua.LValue) *PartRef {
	if ud, ok := v.(*lua.LUserData); ok {
		if p, ok := ud.Value.(*PartRef); ok {
			return p
		}
	}
	return nil
}

// Part returns argument n as a msgpart.
func (a Args) Part(n int) *PartRef {
	p := ToPart(a.L.Get(n))
	if p == nil {
		a.TypeError(n, "msgpart")
	}
	return p
}

// WritablePart returns argument n as a msgpart that may be edited, or
// raises the read-only error.
func (a Args) WritablePart(n int) *PartRef {
	p := a.Part(n)
	if p.ReadOnly {
		a.Raise("%s: MIME part is read-only (get a writable tree with msg:mime(false))", a.Name)
	}
	return p
}

// EditPart returns argument n as a msgpart to edit. A read-only part
// raises the read-only error; a part whose message has replaced the tree
// it was in (msg:raw(x), a re-parsed container) comes back with
// message.ErrDetached, which the binding returns as nil, "message".
func (a Args) EditPart(n int) (*message.Part, error) {
	p := a.WritablePart(n).Part
	if p.Detached() {
		return p, message.ErrDetached
	}
	return p, nil
}

func openPart(L *lua.LState) {
	SetFuncs(L, luahost.ClassMethods(L, PartClass), map[string]lua.LGFunction{
		"unlink": Method("unlink", partUnlink),
	})
	SetFuncs(L, luahost.ClassMeta(L, PartClass), map[string]lua.LGFunction{
		"__eq":       Func("__eq", partEq),
		"__tostring": Func("tostring", partToString),
	})
}

// msgpart:unlink() → true when the part (and its children)
// was removed from its container, false when it was not linked; nil and an
// error for a detached part.
func partUnlink(a Args) int {
	p, err := a.EditPart(1)
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LBool(p.Unlink()))
}

// p1 == p2: the same part.
func partEq(a Args) int {
	x, y := ToPart(a.L.Get(1)), ToPart(a.L.Get(2))
	return a.Push(lua.LBool(x != nil && y != nil && x.Part == y.Part))
}

// tostring(p) → "msgpart: <media type>".
func partToString(a Args) int {
	return a.Push(lua.LString("msgpart: " + a.Part(1).Part.MediaType()))
}
