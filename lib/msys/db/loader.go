// Package db is the Lua module msys.db (`require("msys.db")` with
// `require("msys.datasource")`): queries against the datasources the
// config declares. msys.db.query returns an iterator over rows,
// msys.db.fetch_row the first row, msys.db.execute runs a statement that
// returns none. A query runs synchronously under the hook's deadline
// (Momentum suspends the session instead); results come from the
// datasource's cache unless {nocache = true} is given.
package db

import (
	"context"
	"errors"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/datasource"
	"msyshost/luahost"
)

func init() {
	const dbNote = "synchronous under the hook's deadline (Momentum suspends the session); the sqlite driver only"
	luahost.Register(luahost.Binding{Name: "msys.db", Notes: map[string]string{
		"msys.db.query":     dbNote + "; DATE/DATETIME/TIMESTAMP columns read in SQLite's canonical text form",
		"msys.db.fetch_row": dbNote + "; DATE/DATETIME/TIMESTAMP columns read in SQLite's canonical text form",
		"msys.db.execute":   dbNote,
	}, Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		luahost.SetFuncs(L, t, map[string]lua.LGFunction{
			"query":     luahost.Func("query", query),
			"fetch_row": luahost.Func("fetch_row", fetchRow),
			"execute":   luahost.Func("execute", execute, luahost.Effect),
		})
		return t
	}})
}

// call is one msys.db call's arguments: (cachename, query [, queryparams
// [, options]]).
type call struct {
	name, query string
	params      datasource.Params
	nocache     bool
	raise       bool
}

func args(a luahost.Args) call {
	c := call{name: a.String(1), query: a.String(2), raise: true}
	if t := a.OptTable(3); t != nil {
		c.params = params(a, t)
	}
	if o := a.OptTable(4); o != nil {
		c.nocache = lua.LVAsBool(o.RawGetString("nocache"))
		if v := o.RawGetString("raise_error"); v != lua.LNil {
			c.raise = lua.LVAsBool(v)
		}
	}
	return c
}

// params reads queryparams: integer keys bind '?' by position (a missing
// index is NULL), string keys bind :name, @name and $name (a leading
// ':', '@' or '$' in the key is dropped).
func params(a luahost.Args, t *lua.LTable) datasource.Params {
	var ps datasource.Params
	maxIndex := 0
	t.ForEach(func(k, v lua.LValue) {
		if n, ok := k.(lua.LNumber); ok && float64(n) == math.Trunc(float64(n)) && n >= 1 && n <= 1<<20 {
			maxIndex = max(maxIndex, int(n))
		}
	})
	ps.Positional = make([]any, maxIndex)
	t.ForEach(func(k, v lua.LValue) {
		val := value(a, k, v)
		switch key := k.(type) {
		case lua.LNumber:
			if i := int(key); float64(key) == float64(i) && i >= 1 && i <= maxIndex {
				ps.Positional[i-1] = val
				return
			}
			a.Error(3, "parameter keys must be integers from 1 or names")
		case lua.LString:
			if ps.Named == nil {
				ps.Named = map[string]any{}
			}
			ps.Named[strings.TrimLeft(string(key), ":@$")] = val
		default:
			a.Error(3, "parameter keys must be integers from 1 or names")
		}
	})
	return ps
}

func value(a luahost.Args, k, v lua.LValue) any {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		f := float64(x)
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f)
		}
		return f
	case lua.LBool:
		return bool(x)
	}
	ks, _ := luahost.ToString(k)
	a.Error(3, "parameter '"+ks+"' must be a string, number or boolean, got "+v.Type().String())
	return nil
}

func pool(a luahost.Args) (*datasource.Pool, error) {
	p, ok := datasource.Datasources.Get(a.L)
	if !ok || p == nil {
		return nil, errors.New("no datasources are configured in this host")
	}
	return p, nil
}

func ctxOf(L *lua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

func run(a luahost.Args, c call) (*datasource.Result, error) {
	p, err := pool(a)
	if err != nil {
		return nil, err
	}
	return p.Query(ctxOf(a.L), c.name, c.query, c.params, c.nocache)
}

// row is one row as a table keyed by column name; NULL columns are absent.
func row(L *lua.LState, cols []string, vals []any) *lua.LTable {
	t := L.CreateTable(0, len(cols))
	for i, v := range vals {
		var lv lua.LValue
		switch x := v.(type) {
		case nil:
			continue
		case int64:
			lv = lua.LNumber(x)
		case float64:
			lv = lua.LNumber(x)
		case string:
			lv = lua.LString(x)
		default:
			continue
		}
		t.RawSetString(cols[i], lv)
	}
	return t
}

// msys.db.query(cachename, query [, queryparams [, options]]) → an
// iterator giving one table per row; on failure an error is raised, or
// with {raise_error = false} nil and the message are returned.
func query(a luahost.Args) int {
	c := args(a)
	r, err := run(a, c)
	if err != nil {
		if c.raise {
			a.Raise("%v", err)
		}
		return a.Fail(err)
	}
	i := 0
	return a.Push(a.L.NewFunction(luahost.Func("query", func(a luahost.Args) int {
		if i >= len(r.Rows) {
			return a.Push(lua.LNil)
		}
		i++
		return a.Push(row(a.L, r.Columns, r.Rows[i-1]))
	})))
}

// msys.db.fetch_row(cachename, query [, queryparams [, options]]) → the
// first row as a table, nil when there is none; failures as query's.
func fetchRow(a luahost.Args) int {
	c := args(a)
	r, err := run(a, c)
	if err != nil {
		if c.raise {
			a.Raise("%v", err)
		}
		return a.Fail(err)
	}
	if len(r.Rows) == 0 {
		return a.Push(lua.LNil)
	}
	return a.Push(row(a.L, r.Columns, r.Rows[0]))
}

// msys.db.execute(cachename, query [, queryparams [, options]]) → true; on
// failure an error is raised, or with {raise_error = false} false and the
// message are returned.
func execute(a luahost.Args) int {
	c := args(a)
	p, err := pool(a)
	if err == nil {
		err = p.Exec(ctxOf(a.L), c.name, c.query, c.params)
	}
	if err != nil {
		if c.raise {
			a.Raise("%v", err)
		}
		return a.Push(lua.LFalse, lua.LString(err.Error()))
	}
	return a.Push(lua.LTrue)
}
