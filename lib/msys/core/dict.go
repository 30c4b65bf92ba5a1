package core

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Dict is Momentum's ec_dict as hooks see it: string keys with string
// values, kept in insertion order (the MM7 server hook's trx.tags, an HTTP
// request's URL attributes). The channels that make hook arguments build
// them with NewDict.
type Dict struct {
	keys []string
	vals map[string]string
}

// NewDict returns an empty dictionary.
func NewDict() *Dict { return &Dict{vals: map[string]string{}} }

// Set adds or replaces key.
func (d *Dict) Set(key, value string) {
	if _, ok := d.vals[key]; !ok {
		d.keys = append(d.keys, key)
	}
	d.vals[key] = value
}

// Get returns key's value.
func (d *Dict) Get(key string) (string, bool) {
	v, ok := d.vals[key]
	return v, ok
}

// Delete removes key; false when it was not there.
func (d *Dict) Delete(key string) bool {
	if _, ok := d.vals[key]; !ok {
		return false
	}
	delete(d.vals, key)
	for i, k := range d.keys {
		if k == key {
			d.keys = append(d.keys[:i], d.keys[i+1:]...)
			break
		}
	}
	return true
}

// Keys returns the keys in insertion order.
func (d *Dict) Keys() []string { return append([]string(nil), d.keys...) }

// DictClass is the class of an ec_dict.
var DictClass = luahost.NewClass[Dict]("msys.core:_ec_dict", "ec_dict")

// dictIter is a dict_iter2 iterator: the keys when it was made.
type dictIter struct {
	keys []string
	next int
}

var dictIterClass = luahost.NewClass[dictIter]("msys.core:_ec_dict_iter", "ec_dict iterator")

// List is Momentum's ec_double_list as hooks see it (the MM7 server hook's
// trx.recipients): values of any class, shifted off the front.
type List struct {
	Items []any // Go values with a luahost.Class, or strings and numbers
}

// ListClass is the class of an ec_double_list.
var ListClass = luahost.NewClass[List]("msys.core:_ec_double_list", "ec_double_list")

func openDict(L *lua.LState, t *lua.LTable) {
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"dict_add_key_value":   luahost.Func("dict_add_key_value", dictAdd),
		"dict_key_delete":      luahost.Func("dict_key_delete", dictDelete),
		"dict_get":             luahost.Func("dict_get", dictGet),
		"dict_iter2":           luahost.Func("dict_iter2", dictIter2),
		"dict_next":            luahost.Func("dict_next", dictNext),
		"dict_iter2_free":      luahost.Func("dict_iter2_free", dictIterFree),
		"dict_stringprint":     luahost.Func("dict_stringprint", dictStringPrint),
		"ec_double_list_shift": luahost.Func("ec_double_list_shift", listShift),
	})
	luahost.SetFuncs(L, DictClass.Meta(L), map[string]lua.LGFunction{
		"__tostring": luahost.Func("tostring", func(a luahost.Args) int {
			return a.Push(lua.LString(fmt.Sprintf("ec_dict (%d keys)", len(DictClass.Check(a, 1).keys))))
		}),
	})
}

// msys.core.dict_add_key_value(d, key, value): sets key (a second add of a
// key replaces its value).
func dictAdd(a luahost.Args) int {
	DictClass.Check(a, 1).Set(a.String(2), a.String(3))
	return 0
}

// msys.core.dict_key_delete(d, key) → true when key was there.
func dictDelete(a luahost.Args) int {
	return a.Push(lua.LBool(DictClass.Check(a, 1).Delete(a.String(2))))
}

// msys.core.dict_get(d, key) → the value, or nil.
func dictGet(a luahost.Args) int {
	v, ok := DictClass.Check(a, 1).Get(a.String(2))
	if !ok {
		return a.Push(lua.LNil)
	}
	return a.Push(lua.LString(v))
}

// msys.core.dict_iter2(d) → an iterator over the keys d has now.
func dictIter2(a luahost.Args) int {
	return a.Push(dictIterClass.Push(a.L, &dictIter{keys: DictClass.Check(a, 1).Keys()}))
}

// msys.core.dict_next(d, iter) → 1, key, value; 0 after the last. A key
// deleted since the iterator was made is skipped.
func dictNext(a luahost.Args) int {
	d := DictClass.Check(a, 1)
	it := dictIterClass.Check(a, 2)
	for it.next < len(it.keys) {
		k := it.keys[it.next]
		it.next++
		if v, ok := d.Get(k); ok {
			return a.Push(lua.LNumber(1), lua.LString(k), lua.LString(v))
		}
	}
	return a.Push(lua.LNumber(0))
}

// msys.core.dict_iter2_free(d, iter): ends the iteration.
func dictIterFree(a luahost.Args) int {
	DictClass.Check(a, 1)
	it := dictIterClass.Check(a, 2)
	it.next = len(it.keys)
	return 0
}

// msys.core.dict_stringprint(out, d, level, indent): appends d to the
// ec_string out, a "key: value" line per key, each line indented level+1
// times by indent.
func dictStringPrint(a luahost.Args) int {
	out := StringClass.Check(a, 1)
	d := DictClass.Check(a, 2)
	level := a.OptInt(3, 0)
	indent := a.OptString(4, "  ")
	prefix := strings.Repeat(indent, max(level, 0)+1)
	for _, k := range d.keys {
		out.B = append(out.B, prefix+k+": "+d.vals[k]+"\n"...)
	}
	return 0
}

// msys.core.ec_double_list_shift(list) → the first item, removed; nil when
// the list is empty.
func listShift(a luahost.Args) int {
	l := ListClass.Check(a, 1)
	if len(l.Items) == 0 {
		return a.Push(lua.LNil)
	}
	v := l.Items[0]
	l.Items = l.Items[1:]
	lv, err := luahost.ToLua(a.L, v)
	if err != nil {
		a.Raise("ec_double_list_shift: %v", err)
	}
	return a.Push(lv)
}
