package luahost

import (
	"fmt"
	"reflect"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// Class is a userdata class: Go values of type *E appear in Lua as userdata
// with the class's metatable. The package that owns a Lua type declares its
// class once (a package-level NewClass), adds methods and fields when its
// binding opens, and other bindings push and check values through it. A
// declared class also converts hook arguments: Host.Call given a *E passes
// it to Lua as this class.
type Class[E any] struct {
	name  string
	label string
}

// classInfo is what the registry keeps of a class.
type classInfo struct {
	name, label string
	push        func(L *lua.LState, v any) lua.LValue
}

var (
	classesMu  sync.Mutex
	classNames = map[string]classInfo{}
	converters = map[reflect.Type]classInfo{}
)

// NewClass declares a class. name is what msys.type reports and the
// registry key of its metatable (Momentum's "msys.core:_ec_message");
// label names the type in argument errors ("ec_message expected"). A
// second class of the same name or Go type panics.
func NewClass[E any](name, label string) *Class[E] {
	c := &Class[E]{name: name, label: label}
	t := reflect.TypeFor[*E]()
	classesMu.Lock()
	defer classesMu.Unlock()
	if _, dup := classNames[name]; dup {
		panic(fmt.Sprintf("luahost: class %q declared twice", name))
	}
	if other, dup := converters[t]; dup {
		panic(fmt.Sprintf("luahost: %v already has class %q", t, other.name))
	}
	info := classInfo{name: name, label: label, push: func(L *lua.LState, v any) lua.LValue { return c.Push(L, v.(*E)) }}
	classNames[name] = info
	converters[t] = info
	return c
}

// Name is the class name.
func (c *Class[E]) Name() string { return c.name }

// Push returns v as a userdata of the class; a nil v gives nil.
func (c *Class[E]) Push(L *lua.LState, v *E) lua.LValue {
	if v == nil {
		return lua.LNil
	}
	ud := L.NewUserData()
	ud.Value = v
	ud.Metatable = stateOf(L).class(c.name).meta
	return ud
}

// To returns v's Go value when v is a userdata of the class, else nil.
func (c *Class[E]) To(v lua.LValue) *E {
	if ud, ok := v.(*lua.LUserData); ok {
		if x, ok := ud.Value.(*E); ok {
			return x
		}
	}
	return nil
}

// Check returns argument n as the class's Go value or raises "<label>
// expected, got <type>".
func (c *Class[E]) Check(a Args, n int) *E {
	x := c.To(a.L.Get(n))
	if x == nil {
		a.TypeError(n, c.label)
	}
	return x
}

// Opt is Check for an optional argument: nil when absent or nil.
func (c *Class[E]) Opt(a Args, n int) *E {
	if a.IsNone(n) {
		return nil
	}
	return c.Check(a, n)
}

// Methods returns the class's method table in L, for a binding to add
// methods to (msys.extended.message adds msg:header to ec_message).
func (c *Class[E]) Methods(L *lua.LState) *lua.LTable { return stateOf(L).class(c.name).methods }

// Meta returns the class's metatable in L, for metamethods (__tostring,
// __len, __eq).
func (c *Class[E]) Meta(L *lua.LState) *lua.LTable { return stateOf(L).class(c.name).meta }

// Field adds a field (msg.id) to the class in L; set may be nil for a
// read-only field. Fields are looked up after methods.
func (c *Class[E]) Field(L *lua.LState, field string, get func(L *lua.LState, v *E) lua.LValue, set func(L *lua.LState, v *E, x lua.LValue)) {
	k := stateOf(L).class(c.name)
	k.getters[field] = func(L *lua.LState, ud *lua.LUserData) lua.LValue {
		if v := c.To(ud); v != nil {
			return get(L, v)
		}
		return lua.LNil
	}
	if set != nil {
		k.setters[field] = func(L *lua.LState, ud *lua.LUserData, x lua.LValue) {
			if v := c.To(ud); v != nil {
				set(L, v, x)
			}
		}
	}
}

// convert returns v as its class's userdata when its Go type has a class.
func convert(L *lua.LState, v any) (lua.LValue, bool) {
	classesMu.Lock()
	info, ok := converters[reflect.TypeOf(v)]
	classesMu.Unlock()
	if !ok {
		return nil, false
	}
	return info.push(L, v), true
}

// class is the per-state metatable of one userdata class: methods first,
// then fields.
type class struct {
	meta    *lua.LTable
	methods *lua.LTable
	getters map[string]func(L *lua.LState, ud *lua.LUserData) lua.LValue
	setters map[string]func(L *lua.LState, ud *lua.LUserData, v lua.LValue)
}

func (st *state) class(name string) *class {
	if c, ok := st.classes[name]; ok {
		return c
	}
	L := st.L
	c := &class{
		meta:    L.NewTable(),
		methods: L.NewTable(),
		getters: map[string]func(L *lua.LState, ud *lua.LUserData) lua.LValue{},
		setters: map[string]func(L *lua.LState, ud *lua.LUserData, v lua.LValue){},
	}
	L.SetField(c.meta, "__name", lua.LString(name))
	L.SetField(c.meta, "__metatable", lua.LString(name))
	L.SetField(c.meta, "__index", L.NewFunction(contain("__index", func(L *lua.LState) int {
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
	})))
	L.SetField(c.meta, "__newindex", L.NewFunction(contain("__newindex", func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		key := L.CheckString(2)
		s, ok := c.setters[key]
		if !ok {
			L.RaiseError("cannot set field '%s' of %s", key, name)
		}
		s(L, ud, L.Get(3))
		return 0
	})))
	L.SetField(L.Get(lua.RegistryIndex).(*lua.LTable), name, c.meta)
	st.classes[name] = c
	return c
}
