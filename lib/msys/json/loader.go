// Package json is the Lua module json (`require("json")`): Momentum's
// binding of json-c. json.decode and json.encode give JSON values, userdata
// that read like tables (obj.key, arr[1], #arr), take assignments
// (obj.key = v) and print as JSON text (tostring(obj)); json.new gives an
// empty object and json.strerror describes the json.ERROR_* codes.
package json

import (
	"fmt"
	"math"
	"slices"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Value is the Go side of a JSON userdata: an *Object, an *Array or, for
// json.encode(42) and json.decode("42"), a scalar.
type Value struct{ V any }

// Class is the JSON value class.
var Class = luahost.NewClass[Value]("json.object", "JSON object")

func init() {
	luahost.Register(luahost.Binding{Name: "json", Open: open})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	for name, code := range errorNames {
		t.RawSetString(name, lua.LNumber(code))
	}
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"new":      luahost.Func("new", newObject),
		"decode":   luahost.Func("decode", decode),
		"encode":   luahost.Func("encode", encode),
		"strerror": luahost.Func("strerror", strerror),
	})
	meta := Class.Meta(L)
	luahost.SetFuncs(L, meta, map[string]lua.LGFunction{
		"__index":    luahost.Func("__index", index),
		"__newindex": luahost.Func("__newindex", newindex),
		"__tostring": luahost.Func("tostring", tostring),
		"__len":      luahost.Func("__len", length),
		"__eq":       luahost.Func("__eq", equal),
	})
	return t
}

// json.new() → an empty JSON object.
func newObject(a luahost.Args) int {
	return a.Push(Class.Push(a.L, &Value{V: NewObject()}))
}

// json.decode(str) → a JSON value, or nil, code, message.
func decode(a luahost.Args) int {
	v, err := Parse(a.String(1))
	if err != nil {
		se := err.(*SyntaxError)
		return a.Push(lua.LNil, lua.LNumber(se.Code), lua.LString(se.Error()))
	}
	return a.Push(Class.Push(a.L, &Value{V: v}))
}

// json.encode(v) → a JSON value: a table with t[1] set becomes an array of
// t[1..n] up to the first nil, any other table an object whose keys are
// the table's keys as strings; functions, threads and other userdata raise
// an error.
func encode(a luahost.Args) int {
	v, err := FromLua(a.Any(1))
	if err != nil {
		a.Raise("json.encode: %v", err)
	}
	return a.Push(Class.Push(a.L, &Value{V: v}))
}

// json.strerror(code) → the description of a json.ERROR_* code.
func strerror(a luahost.Args) int {
	return a.Push(lua.LString(Strerror(a.Int(1))))
}

// ToLua returns v as Lua sees a field's value: scalars as Lua values, null
// as nil, objects and arrays as JSON values sharing v.
func ToLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	}
	return Class.Push(L, &Value{V: v})
}

// FromLua converts a Lua value by json-c's assignment rules.
func FromLua(v lua.LValue) (any, error) {
	var seen [8]*lua.LTable
	return fromLua(v, seen[:0])
}

// fromLua converts v; seen holds the tables being converted, outermost
// first, to refuse a table that contains itself.
func fromLua(v lua.LValue, seen []*lua.LTable) (any, error) {
	switch x := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(x), nil
	case lua.LNumber:
		return number(float64(x)), nil
	case lua.LString:
		return string(x), nil
	case *lua.LUserData:
		if j := Class.To(x); j != nil {
			return j.V, nil
		}
	case *lua.LTable:
		if slices.Contains(seen, x) {
			return nil, fmt.Errorf("a table that contains itself cannot be encoded")
		}
		if len(seen) >= maxNesting {
			return nil, errNesting
		}
		seen = append(seen, x)
		if x.RawGetInt(1) != lua.LNil {
			arr := &Array{}
			for i := 1; ; i++ {
				e := x.RawGetInt(i)
				if e == lua.LNil {
					break
				}
				jv, err := fromLua(e, seen)
				if err != nil {
					return nil, err
				}
				arr.elems = append(arr.elems, jv)
			}
			return arr, nil
		}
		obj := NewObject()
		var err error
		x.ForEach(func(k, e lua.LValue) {
			if err != nil {
				return
			}
			var key string
			if key, err = keyString(k); err != nil {
				return
			}
			var jv any
			if jv, err = fromLua(e, seen); err == nil {
				obj.Set(key, jv)
			}
		})
		if err != nil {
			return nil, err
		}
		return obj, nil
	}
	return nil, fmt.Errorf("a %s value cannot be assigned to a JSON object", v.Type())
}

// number keeps integral values as json-c integers, so 4 prints as 4 and
// 3.5 as 3.500000.
func number(f float64) any {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return int64(f)
	}
	return f
}

// keyString is the string form of a key: strings as they are, numbers as
// PUC formats them, booleans as tostring does.
func keyString(k lua.LValue) (string, error) {
	if s, ok := luahost.ToString(k); ok {
		return s, nil
	}
	if b, ok := k.(lua.LBool); ok {
		return b.String(), nil
	}
	return "", fmt.Errorf("a %s key cannot be a JSON object key", k.Type())
}

// arrayIndex converts a Lua index to a 0-based array index.
func arrayIndex(k lua.LValue) (int, bool) {
	f, ok := luahost.ToNumber(k)
	if !ok || f != math.Trunc(f) || f < 1 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f) - 1, true
}

func index(a luahost.Args) int {
	self := Class.Check(a, 1)
	k := a.Get(2)
	switch x := self.V.(type) {
	case *Object:
		key, err := keyString(k)
		if err != nil {
			return a.Push(lua.LNil)
		}
		v, _ := x.Get(key)
		return a.Push(ToLua(a.L, v))
	case *Array:
		i, ok := arrayIndex(k)
		if !ok || i >= len(x.elems) {
			return a.Push(lua.LNil)
		}
		return a.Push(ToLua(a.L, x.elems[i]))
	}
	return a.Push(lua.LNil)
}

func newindex(a luahost.Args) int {
	self := Class.Check(a, 1)
	k, val := a.Get(2), a.Get(3)
	switch x := self.V.(type) {
	case *Object:
		key, err := keyString(k)
		if err != nil {
			a.Raise("%v", err)
		}
		if val == lua.LNil {
			x.Delete(key)
			return 0
		}
		v, err := FromLua(val)
		if err != nil {
			a.Raise("%v", err)
		}
		x.Set(key, v)
	case *Array:
		i, ok := arrayIndex(k)
		if !ok {
			a.Raise("JSON arrays accept only integer keys from 1, got %s", describe(k))
		}
		v, err := FromLua(val)
		if err != nil {
			a.Raise("%v", err)
		}
		if err := x.Set(i, v); err != nil {
			a.Raise("%v", err)
		}
	default:
		a.Raise("cannot set a field of a JSON %s", kindName(self.V))
	}
	return 0
}

func describe(k lua.LValue) string {
	if s, ok := luahost.ToString(k); ok {
		return fmt.Sprintf("%s '%s'", k.Type(), s)
	}
	return k.Type().String()
}

func kindName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, float64:
		return "number"
	case string:
		return "string"
	}
	return "value"
}

func tostring(a luahost.Args) int {
	s, err := Marshal(Class.Check(a, 1).V)
	if err != nil {
		a.Raise("%v", err)
	}
	return a.Push(lua.LString(s))
}

func length(a luahost.Args) int {
	switch x := Class.Check(a, 1).V.(type) {
	case *Object:
		return a.Push(lua.LNumber(x.Len()))
	case *Array:
		return a.Push(lua.LNumber(len(x.elems)))
	}
	return a.Push(lua.LNumber(0))
}

// __eq: two userdata are equal when they are the same object or array
// (reading obj.sub twice gives two userdata for one object).
func equal(a luahost.Args) int {
	x, y := Class.To(a.Get(1)), Class.To(a.Get(2))
	if x == nil || y == nil {
		return a.Push(lua.LFalse)
	}
	switch xv := x.V.(type) {
	case *Object, *Array:
		return a.Push(lua.LBool(xv == y.V))
	}
	return a.Push(lua.LBool(x.V == y.V))
}
