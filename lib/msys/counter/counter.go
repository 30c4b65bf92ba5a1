// Package counter is the Lua module msys.counter: named 64-bit counters in
// one namespace per host ("/site/<name>/...", "/vendor/<name>/..."),
// shared by every Lua state, with Momentum's STRICT and RELAXED semantics.
package counter

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Semantics, as msys.counter.STRICT and RELAXED.
const (
	Strict  = 0
	Relaxed = 1
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.counter", Open: open, Notes: map[string]string{
		"msys.counter.unlink": "forgets the path at once; handles opened before keep their counter",
	}})
}

// counter is one named counter. STRICT handles all add to value; a
// RELAXED handle adds to a cell of its own, and a read sums value and the
// cells, so handles updated at once on many cores do not share a cache
// line.
type counter struct {
	path  string
	value atomic.Int64
	mu    sync.Mutex
	cells []*cell
}

type cell struct {
	n atomic.Int64
	_ [56]byte // a cache line of its own
}

func (c *counter) read() int64 {
	n := c.value.Load()
	c.mu.Lock()
	for _, x := range c.cells {
		n += x.n.Load()
	}
	c.mu.Unlock()
	return n
}

func (c *counter) reset() {
	c.mu.Lock()
	c.value.Store(0)
	for _, x := range c.cells {
		x.n.Store(0)
	}
	c.mu.Unlock()
}

// Handle is what msys.counter.open returns.
type Handle struct {
	c    *counter
	cell *cell // nil for STRICT
}

func (h *Handle) add(n int64) {
	if h.cell != nil {
		h.cell.n.Add(n)
		return
	}
	h.c.value.Add(n)
}

// HandleClass is the class of a counter handle.
var HandleClass = luahost.NewClass[Handle]("msys.counter:_counter", "counter")

// Namespace is a host's counters by path.
type Namespace struct {
	mu     sync.Mutex
	byPath map[string]*counter
}

type nsKey struct{}

func namespaceOf(L *lua.LState) *Namespace {
	return luahost.HostShared(L, nsKey{}, func() *Namespace { return &Namespace{byPath: map[string]*counter{}} })
}

func (ns *Namespace) get(path string) *counter {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	c := ns.byPath[path]
	if c == nil {
		c = &counter{path: path}
		ns.byPath[path] = c
	}
	return c
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	t.RawSetString("STRICT", lua.LNumber(Strict))
	t.RawSetString("RELAXED", lua.LNumber(Relaxed))
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"open":   luahost.Func("open", openCounter),
		"inc":    luahost.Func("inc", inc),
		"add":    luahost.Func("add", add),
		"read":   luahost.Func("read", read),
		"reset":  luahost.Func("reset", reset),
		"unlink": luahost.Func("unlink", unlink),
	})
	luahost.SetFuncs(L, HandleClass.Meta(L), map[string]lua.LGFunction{
		"__tostring": luahost.Func("tostring", func(a luahost.Args) int {
			return a.Push(lua.LString("counter: " + HandleClass.Check(a, 1).c.path))
		}),
	})
	return t
}

func path(a luahost.Args, n int) string {
	p := a.String(n)
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		a.Error(n, "counter path expected (\"/site/<name>/...\"), got '"+p+"'")
	}
	return p
}

// msys.counter.open(path[, semantics]) → a handle to the counter at path,
// created at 0 when new. semantics is STRICT (the default) or RELAXED.
func openCounter(a luahost.Args) int {
	p := path(a, 1)
	sem := a.OptInt(2, Strict)
	if sem != Strict && sem != Relaxed {
		a.Error(2, "msys.counter.STRICT or RELAXED expected")
	}
	c := namespaceOf(a.L).get(p)
	h := &Handle{c: c}
	if sem == Relaxed {
		h.cell = cellsOf(a.L).cellFor(c)
	}
	return a.Push(HandleClass.Push(a.L, h))
}

// stateCells are a Lua state's cells of RELAXED counters: one per counter
// however often the state opens it, folded into the counter's value when
// the state closes, so cells do not pile up as states are replaced.
type stateCells struct {
	mu    sync.Mutex
	cells map[*counter]*cell
}

type cellsKey struct{}

func cellsOf(L *lua.LState) *stateCells {
	return luahost.StateLocal(L, cellsKey{}, func() *stateCells {
		sc := &stateCells{cells: map[*counter]*cell{}}
		luahost.OnClose(L, sc.fold)
		return sc
	})
}

func (sc *stateCells) cellFor(c *counter) *cell {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if x := sc.cells[c]; x != nil {
		return x
	}
	x := &cell{}
	c.mu.Lock()
	c.cells = append(c.cells, x)
	c.mu.Unlock()
	sc.cells[c] = x
	return x
}

// fold moves the state's cells' counts into their counters' values and
// drops the cells.
func (sc *stateCells) fold() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for c, x := range sc.cells {
		c.mu.Lock()
		c.value.Add(x.n.Swap(0))
		c.cells = slices.DeleteFunc(c.cells, func(y *cell) bool { return y == x })
		c.mu.Unlock()
	}
	clear(sc.cells)
}

// handle returns argument n: a handle, or a path (a STRICT counter, created
// when new).
func handle(a luahost.Args, n int) *Handle {
	if h := HandleClass.To(a.Get(n)); h != nil {
		return h
	}
	if _, ok := a.Get(n).(lua.LString); !ok {
		a.TypeError(n, "counter or counter path")
	}
	return &Handle{c: namespaceOf(a.L).get(path(a, n))}
}

// msys.counter.inc(counter_or_path): adds 1.
func inc(a luahost.Args) int {
	h := handle(a, 1)
	if !luahost.Quiet(a.L) {
		h.add(1)
	}
	return 0
}

// msys.counter.add(counter_or_path, n): adds n (an integer; negative
// subtracts).
func add(a luahost.Args) int {
	h := handle(a, 1)
	n := a.Integer(2)
	if !luahost.Quiet(a.L) {
		h.add(n)
	}
	return 0
}

// msys.counter.read(counter_or_path) → the value.
func read(a luahost.Args) int {
	return a.Push(lua.LNumber(handle(a, 1).c.read()))
}

// msys.counter.reset(counter_or_path): sets it to 0.
func reset(a luahost.Args) int {
	h := handle(a, 1)
	if !luahost.Quiet(a.L) {
		h.c.reset()
	}
	return 0
}

// msys.counter.unlink(path): removes the path from the namespace; the next
// use of the path starts a new counter at 0.
func unlink(a luahost.Args) int {
	p := path(a, 1)
	if luahost.Quiet(a.L) {
		return 0
	}
	ns := namespaceOf(a.L)
	ns.mu.Lock()
	delete(ns.byPath, p)
	ns.mu.Unlock()
	return 0
}
