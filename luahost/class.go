package luahost

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
)

// Class names as Momentum reports them (msys.type) and as the registry keys
// of their metatables.
const (
	MessageClass = "msys.core:_ec_message"
	StringClass  = "msys.core:_ec_string"
)

// FieldGetter returns a field of a userdata (msg.id); it pushes one value.
type FieldGetter func(L *lua.LState, ud *lua.LUserData) lua.LValue

// FieldSetter sets a field of a userdata (msg.priority = 1).
type FieldSetter func(L *lua.LState, ud *lua.LUserData, v lua.LValue)

// class is the per-state metatable of one userdata class: methods first,
// then fields.
type class struct {
	meta    *lua.LTable
	methods *lua.LTable
	getters map[string]FieldGetter
	setters map[string]FieldSetter
}

func (st *state) class(name string) *class {
	if c, ok := st.classes[name]; ok {
		return c
	}
	L := st.L
	c := &class{
		meta:    L.NewTable(),
		methods: L.NewTable(),
		getters: map[string]FieldGetter{},
		setters: map[string]FieldSetter{},
	}
	L.SetField(c.meta, "__name", lua.LString(name))
	L.SetField(c.meta, "__metatable", lua.LString(name))
	L.SetField(c.meta, "__index", L.NewFunction(func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		key := L.CheckString(2)
		if m := c.methods.RawGetString(key); m != lua.LNil {
			L.Push(m)
			return 1
		}
		if g, ok := c.getters[key]; ok {
			L.Push(g(L, ud))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}))
	L.SetField(c.meta, "__newindex", L.NewFunction(func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		key := L.CheckString(2)
		s, ok := c.setters[key]
		if !ok {
			L.RaiseError("cannot set field '%s' of %s", key, name)
		}
		s(L, ud, L.Get(3))
		return 0
	}))
	L.SetField(L.Get(lua.RegistryIndex).(*lua.LTable), name, c.meta)
	st.classes[name] = c
	return c
}

// ClassMethods returns the method table of a class in L, for bindings to add
// methods to (`msg:header` is added by msys.extended.message).
func ClassMethods(L *lua.LState, name string) *lua.LTable { return stateOf(L).class(name).methods }

// ClassMeta returns the metatable of a class in L, for bindings that need
// metamethods (__tostring, __len, __eq).
func ClassMeta(L *lua.LState, name string) *lua.LTable { return stateOf(L).class(name).meta }

// ClassField adds a field to a class; set may be nil for a read-only field.
func ClassField(L *lua.LState, name, field string, get FieldGetter, set FieldSetter) {
	c := stateOf(L).class(name)
	c.getters[field] = get
	if set != nil {
		c.setters[field] = set
	}
}

// NewObject returns a userdata of the named class holding v.
func NewObject(L *lua.LState, name string, v any) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = v
	ud.Metatable = stateOf(L).class(name).meta
	return ud
}

// PushMessage returns m as a Lua ec_message.
func PushMessage(L *lua.LState, m *message.Message) *lua.LUserData {
	return NewObject(L, MessageClass, m)
}

// CheckMessage returns argument n as a message or raises a Lua argument error.
func CheckMessage(L *lua.LState, n int) *message.Message {
	ud, ok := L.Get(n).(*lua.LUserData)
	if ok {
		if m, ok := ud.Value.(*message.Message); ok {
			return m
		}
	}
	got := "no value"
	if n <= L.GetTop() {
		got = L.Get(n).Type().String()
	}
	L.ArgError(n, "ec_message expected, got "+got)
	return nil
}

// ToMessage returns v as a message, or nil.
func ToMessage(v lua.LValue) *message.Message {
	if ud, ok := v.(*lua.LUserData); ok {
		if m, ok := ud.Value.(*message.Message); ok {
			return m
		}
	}
	return nil
}
