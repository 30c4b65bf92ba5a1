package luahost

import (
	"errors"
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// Replaying the build at the binding boundary. Every state of a generation
// runs the scripts' top-level code, init and rsrc_setup (lifecycle.go);
// only the primary's calls of bindings that act outside Lua act. The
// primary records what each such call returned (or raised) in the
// generation's journal, in call order; a replaying state gets the n-th
// entry for its n-th such call instead of acting again, so an init that
// appends to a file, deletes a stored message or sends a request does so
// once, and every state sees what the primary saw (a shareGet, a query).
// A replaying state whose n-th call is another function than the
// primary's took another path: that is logged, and from then on its
// effects are refused (nil and a message) and its reads run.

// FuncOption marks what a binding function does outside Lua, for Func.
type FuncOption int

const (
	// Effect marks a function that acts outside Lua (writes a file,
	// changes the share space, a counter or the store, sends a request,
	// sleeps): a state replaying the build gets the primary's results
	// instead of acting again.
	Effect FuncOption = iota + 1
	// Replay marks a function that reads outside Lua (a file, the share
	// space, a database): a state replaying the build gets the primary's
	// results, so every state starts from the same data.
	Replay
)

// journalEntry is one recorded call.
type journalEntry struct {
	name    string
	results []any // Portable values
	raised  bool  // the call raised err
	err     any
	live    bool // a result could not be copied: the replaying state calls the function
}

// journaled calls call (the binding function name) as the state's role
// asks: at run time it just runs; while the primary builds, it runs and is
// recorded; while another state replays the build, the recorded results
// are returned.
func journaled(L *lua.LState, name string, kind FuncOption, call lua.LGFunction) int {
	st := stateOf(L)
	switch {
	case !st.building:
		return call(L)
	case st.replica:
		return st.replay(L, name, kind, call)
	}
	return st.record(L, name, call)
}

func (st *state) record(L *lua.LState, name string, call lua.LGFunction) (n int) {
	g := st.gen
	e := journalEntry{name: name}
	defer func() {
		if r := recover(); r != nil {
			var ae *lua.ApiError
			if err, ok := r.(error); ok && errors.As(err, &ae) {
				e.raised = true
				if v, err := CopyOut(ae.Object); err == nil {
					e.err = v
				} else {
					e.err = ae.Object.String()
				}
				g.journal = append(g.journal, e)
			}
			panic(r)
		}
	}()
	n = call(L)
	top := L.GetTop()
	for i := top - n + 1; i <= top; i++ {
		v, err := CopyOut(L.Get(i))
		if err != nil {
			e.live, e.results = true, nil
			break
		}
		e.results = append(e.results, v)
	}
	g.journal = append(g.journal, e)
	return n
}

func (st *state) replay(L *lua.LState, name string, kind FuncOption, call lua.LGFunction) int {
	j := st.gen.journal
	if !st.divergedOnce && st.journalPos < len(j) && j[st.journalPos].name == name {
		e := j[st.journalPos]
		st.journalPos++
		switch {
		case e.live:
			return call(L)
		case e.raised:
			L.Error(CopyIn(L, e.err), 0)
		}
		for _, v := range e.results {
			L.Push(CopyIn(L, v))
		}
		return len(e.results)
	}
	if st.journalPos < len(j) {
		st.diverged(fmt.Sprintf("%s, where the first state called %s", name, j[st.journalPos].name))
	} else {
		st.diverged(name + ", which the first state did not call")
	}
	if kind == Replay {
		return call(L)
	}
	L.Push(lua.LNil)
	L.Push(lua.LString(name + ": not run: this Lua state replays the scripts' load, and the first state, which acted for every state, did not make this call here"))
	return 2
}

// PortableTable is a Lua table copied out of a state: its pairs, in
// traversal order (CopyOut).
type PortableTable [][2]any

// maxPortableDepth bounds the nesting CopyOut follows.
const maxPortableDepth = 64

// CopyOut copies a Lua value out of its state: nil, booleans (bool),
// numbers (float64), strings (string) and tables of them (PortableTable);
// a function, userdata or coroutine belongs to its state and is an error,
// as is a table nested more than 64 levels deep or containing itself.
// The error is a *CopyError.
func CopyOut(v lua.LValue) (any, error) {
	return copyOut(v, 0, map[*lua.LTable]bool{})
}

// CopyError says what CopyOut could not copy.
type CopyError struct {
	// What: "a function", "a table that contains itself", "a table nested
	// more than 64 levels deep"...
	What string
}

func (e *CopyError) Error() string { return e.What + " cannot be copied out of its Lua state" }

func copyOut(v lua.LValue, depth int, seen map[*lua.LTable]bool) (any, error) {
	switch x := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(x), nil
	case lua.LNumber:
		return float64(x), nil
	case lua.LString:
		return string(x), nil
	case *lua.LTable:
		if seen[x] {
			return nil, &CopyError{"a table that contains itself"}
		}
		if depth >= maxPortableDepth {
			return nil, &CopyError{fmt.Sprintf("a table nested more than %d levels deep", maxPortableDepth)}
		}
		seen[x] = true
		defer delete(seen, x)
		var out PortableTable
		var err error
		x.ForEach(func(k, val lua.LValue) {
			if err != nil {
				return
			}
			var ck, cv any
			if ck, err = copyOut(k, depth+1, seen); err != nil {
				return
			}
			if cv, err = copyOut(val, depth+1, seen); err == nil {
				out = append(out, [2]any{ck, cv})
			}
		})
		return out, err
	}
	return nil, &CopyError{"a " + v.Type().String()}
}

// CopyIn makes a value CopyOut copied in L.
func CopyIn(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case PortableTable:
		t := L.CreateTable(0, len(x))
		for _, kv := range x {
			t.RawSet(CopyIn(L, kv[0]), CopyIn(L, kv[1]))
		}
		return t
	}
	return lua.LNil
}
