// Package lgc is PUC 5.1's collector where gopher-lua has none: weak
// tables that lose their unreachable entries and __gc finalizers of
// userdata, for the libraries of luahost/puc (see Collect).
package lgc

import (
	"errors"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
)

// gopher-lua's tables hold their keys and values strongly and it never
// calls __gc, so on their own weak tables grow without bound and
// finalizers never run. Collect does what PUC 5.1's atomic phase does
// (lgc.c), over what Lua can reach: it marks every object reachable from
// the registry, the globals, the value stacks of the threads and the
// host's roots (SetRoots), treating the weak parts of tables with __mode
// as not reaching; finds the tracked userdata (newproxy's, files) that
// were not reached and keep them, and what they reach, for their
// finalizers; removes from weak tables the entries whose weak key or value
// was not reached (or is a userdata being finalized, as a value); then
// calls the finalizers, newest first, each once.
//
// What Go code holds is not seen: a value only a Go closure or a Go
// binding's struct refers to counts as unreachable, so an entry for it
// leaves a weak table (a cache miss, never a dangling value: the value
// itself stays alive for Go). Go's collector then frees what is really
// garbage.

// rooter is the host's Go-held roots, set by SetRoots.
type rooter func() []lua.LValue

const rootsKey = "msyshost.puc.roots"

// SetRoots tells Collect about Lua values the host holds in Go (hook
// module tables), which must keep their entries in weak tables.
func SetRoots(L *lua.LState, roots func() []lua.LValue) {
	ud := L.NewUserData()
	ud.Value = rooter(roots)
	L.G.Registry.RawSetString(rootsKey, ud)
}

// collectEvery is how many calls of Due, or new tracked userdata, a
// collection waits for.
const collectEvery = 256

// pace bounds the time collections take: after a marking that took d, Due
// reports no collection for pace*d, so a state whose Lua heap takes long
// to mark spends at most about 1/pace of its time marking it.
const pace = 20

// MaybeCollect runs Collect where a library allocates a finalizable object
// (io.open) when the state collects inline (SetInline) and a collection is
// due; a host that collects between calls (Due) is left to do it then.
func MaybeCollect(L *lua.LState) error {
	if t := TrackedOf(L); t.Inline && t.due() {
		return Collect(L)
	}
	return nil
}

// SetInline makes L collect where it allocates, as PUC's collector does
// (lua5.1's command line): at a concatenation after Go's collector ran and
// at io.open after many new files. Otherwise a host collects between calls
// into the state, off the path of its callers (Due, Sweep, Finalize).
func SetInline(L *lua.LState, inline bool) { TrackedOf(L).Inline = inline }

// Due counts a chance to collect and reports whether a collection is due.
func Due(L *lua.LState) bool { return TrackedOf(L).due() }

// DueFunc is Due for L without finding L's list each time.
func DueFunc(L *lua.LState) func() bool { return TrackedOf(L).due }

// due: every collectEvery calls into a state that has weak tables or
// finalizable userdata, or after Go's collector ran (Poll), or after
// collectEvery new tracked userdata; never sooner than the pacing allows.
func (t *Tracked) due() bool {
	t.Calls++
	if !(t.Since >= collectEvery || (t.Weak || len(t.Userdata) > 0) && (t.Calls >= collectEvery || t.goDue)) {
		return false
	}
	return t.notBefore.IsZero() || !time.Now().Before(t.notBefore)
}

type marker struct {
	bytes  int // what the marked objects would take in PUC's heap
	seen   ptrSet
	work   []lua.LValue
	weak   []*lua.LTable
	weakKV map[*lua.LTable][2]bool // weak keys, weak values
}

func newMarker(t *Tracked) *marker {
	return &marker{seen: newPtrSet(t.objects), weakKV: map[*lua.LTable][2]bool{}}
}

// ptrSet is the set of marked objects, by address: an open-addressing
// table of uintptrs, which Go's collector need not scan and which a
// marking sizes from the last one's count. Addresses stay valid while the
// marking runs: no Lua code runs then, and every object in the set is
// reachable (Go's collector does not move objects).
type ptrSet struct {
	slots []uintptr
	n     int
	shift uint
}

func newPtrSet(hint int) ptrSet {
	bits := uint(6)
	for 1<<bits < 2*hint {
		bits++
	}
	return ptrSet{slots: make([]uintptr, 1<<bits), shift: 64 - bits}
}

func (s *ptrSet) slot(p uintptr) int { return int(uint64(p) * 0x9E3779B97F4A7C15 >> s.shift) }

// add adds p and reports whether it was new.
func (s *ptrSet) add(p uintptr) bool {
	if 2*(s.n+1) > len(s.slots) {
		old := s.slots
		*s = ptrSet{slots: make([]uintptr, 2*len(old)), n: s.n, shift: s.shift - 1}
		for _, q := range old {
			if q != 0 {
				s.insert(q)
			}
		}
	}
	if s.insert(p) {
		s.n++
		return true
	}
	return false
}

func (s *ptrSet) insert(p uintptr) bool {
	mask := len(s.slots) - 1
	for i := s.slot(p); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = p
			return true
		case p:
			return false
		}
	}
}

func (s *ptrSet) has(p uintptr) bool {
	mask := len(s.slots) - 1
	for i := s.slot(p); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			return false
		case p:
			return true
		}
	}
}

// addr is the address of a collectable object; 0 for a value.
func addr(v lua.LValue) uintptr {
	switch x := v.(type) {
	case *lua.LTable:
		return uintptr(unsafe.Pointer(x))
	case *lua.LFunction:
		return uintptr(unsafe.Pointer(x))
	case *lua.LUserData:
		return uintptr(unsafe.Pointer(x))
	case *lua.LState:
		return uintptr(unsafe.Pointer(x))
	}
	return 0
}

func (m *marker) marked(v lua.LValue) bool { return m.seen.has(addr(v)) }

func (m *marker) push(v lua.LValue) {
	if v == nil {
		return
	}
	if p := addr(v); p != 0 && m.seen.add(p) {
		m.work = append(m.work, v)
	}
}

// weakMode reads __mode from t's metatable.
func weakMode(t *lua.LTable) (keys, values bool) {
	mt, ok := t.Metatable.(*lua.LTable)
	if !ok {
		return false, false
	}
	mode, ok := mt.RawGetString("__mode").(lua.LString)
	if !ok {
		return false, false
	}
	return strings.ContainsRune(string(mode), 'k'), strings.ContainsRune(string(mode), 'v')
}

// propagate marks everything reachable from the pushed objects.
func (m *marker) propagate() {
	for len(m.work) > 0 {
		v := m.work[len(m.work)-1]
		m.work = m.work[:len(m.work)-1]
		switch v := v.(type) {
		case *lua.LTable:
			m.bytes += sizeTable
			m.push(v.Metatable)
			wk, wv := weakMode(v)
			if wk || wv {
				if _, ok := m.weakKV[v]; !ok {
					m.weak = append(m.weak, v)
				}
				m.weakKV[v] = [2]bool{wk, wv}
			}
			v.ForEach(func(k, val lua.LValue) {
				m.bytes += sizeSlot + stringBytes(k) + stringBytes(val)
				if !wk {
					m.push(k)
				}
				if !wv {
					m.push(val)
				}
			})
		case *lua.LFunction:
			m.bytes += sizeClosure + sizeUpvalue*len(v.Upvalues)
			if v.Env != nil {
				m.push(v.Env)
			}
			for _, uv := range v.Upvalues {
				if uv != nil {
					m.push(uv.Value())
				}
			}
		case *lua.LUserData:
			m.bytes += sizeUserdata
			m.push(v.Metatable)
			if v.Env != nil {
				m.push(v.Env)
			}
		case *lua.LState:
			m.bytes += sizeThread
			if v.Env != nil {
				m.push(v.Env)
			}
			if v.Parent != nil {
				m.push(v.Parent)
			}
			if regs, ok := lauxlib.Registers(v); ok {
				for _, r := range regs {
					m.push(r)
				}
			}
		}
	}
}

// roots pushes what is reachable without a table: the registry, the
// globals, the threads running, the builtin types' metatables, the host's
// roots.
func (m *marker) roots(L *lua.LState) {
	g := L.G
	for _, v := range []lua.LValue{g.Registry, g.Global, g.MainThread, g.CurrentThread, L, L.Env} {
		m.push(v)
	}
	for _, v := range []lua.LValue{lua.LString(""), lua.LNumber(0), lua.LTrue, lua.LNil, L.NewFunction(nil), L} {
		m.push(L.GetMetatable(v))
	}
	if ud, ok := g.Registry.RawGetString(rootsKey).(*lua.LUserData); ok {
		if roots, ok := ud.Value.(rooter); ok {
			for _, v := range roots() {
				m.push(v)
			}
		}
	}
}

// Collect runs a collection of L's weak tables and finalizers (see
// above): Sweep, then Finalize. An error a finalizer raises is returned;
// the finalizers not yet run wait for the next collection.
func Collect(L *lua.LState) error {
	Sweep(L)
	return Finalize(L)
}

// Sweep is a collection's Go part, which runs no Lua code: it marks,
// removes the unreached entries of weak tables and queues the finalizers
// of unreached userdata for Finalize. It reports how many are queued.
func Sweep(L *lua.LState) int {
	if _, ok := lauxlib.Registers(L); !ok {
		return 0 // gopher-lua changed: marking would miss the stacks
	}
	start := time.Now()
	t := TrackedOf(L)
	t.Since, t.Calls, t.stepWork, t.goDue = 0, 0, 0, false
	m := newMarker(t)
	m.roots(L)
	for _, ud := range t.pending {
		m.push(ud) // queued by an earlier sweep: reachable until finalized
	}
	m.propagate()
	t.markBytes, t.heapAtMark = m.bytes, heapInUse()
	// Unreached tracked userdata: kept alive (with what they reach) for
	// their finalizers, cleared from weak tables' values.
	var finalize []*lua.LUserData
	finalizing := map[*lua.LUserData]bool{}
	live := t.Userdata[:0]
	for _, ud := range t.Userdata {
		if m.marked(ud) {
			live = append(live, ud)
			continue
		}
		if L.GetMetaField(ud, "__gc").Type() == lua.LTFunction {
			finalize = append(finalize, ud)
			finalizing[ud] = true
			m.push(ud)
		}
	}
	clear(t.Userdata[len(live):])
	t.Userdata = live
	m.propagate()
	cleared := func(v lua.LValue, isKey bool) bool {
		p := addr(v)
		if p == 0 {
			return false
		}
		if ud, ok := v.(*lua.LUserData); ok && !isKey && finalizing[ud] {
			return true
		}
		return !m.seen.has(p)
	}
	for _, wt := range m.weak {
		kv := m.weakKV[wt]
		var dead []lua.LValue
		wt.ForEach(func(k, v lua.LValue) {
			if kv[0] && cleared(k, true) || kv[1] && cleared(v, false) {
				dead = append(dead, k)
			}
		})
		for _, k := range dead {
			wt.RawSet(k, lua.LNil)
		}
	}
	t.objects = m.seen.n
	t.pending = append(t.pending, finalize...)
	d := time.Since(start)
	t.notBefore = time.Now().Add(pace * d)
	return len(t.pending)
}

// Finalize calls the finalizers Sweep queued, newest first, each once. An
// error a finalizer raises is returned; the rest stay queued. A collection
// inside a finalizer (a concatenation's Poll) queues what it finds and
// leaves the running Finalize to call it, as PUC 5.1 runs no collection
// during a finalizer: finalizers never nest.
func Finalize(L *lua.LState) error {
	t := TrackedOf(L)
	if t.finalizing {
		return nil
	}
	t.finalizing = true
	defer func() { t.finalizing = false }()
	for len(t.pending) > 0 {
		i := len(t.pending) - 1
		ud := t.pending[i]
		t.pending[i] = nil
		t.pending = t.pending[:i]
		L.Push(L.GetMetaField(ud, "__gc"))
		L.Push(ud)
		if err := L.PCall(1, 0, nil); err != nil {
			return err
		}
	}
	return nil
}

// Pending reports how many finalizers Sweep queued and Finalize has not run.
func Pending(L *lua.LState) int { return len(TrackedOf(L).pending) }

// What objects take in PUC 5.1's heap on x86-64 (sizeof Table, Node,
// Closure, UpVal, Udata, lua_State with its first stacks, TString), for
// gcinfo's and collectgarbage("count")'s estimate of the state's heap.
const (
	sizeTable    = 64
	sizeSlot     = 40
	sizeClosure  = 40
	sizeUpvalue  = 48
	sizeUserdata = 40
	sizeThread   = 1200
	sizeString   = 25
)

func stringBytes(v lua.LValue) int {
	if s, ok := v.(lua.LString); ok {
		return sizeString + len(s)
	}
	return 0
}

// heapInUse is the bytes of heap objects the process holds, live or not
// yet collected.
func heapInUse() int {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int(sample[0].Value.Uint64())
}

// Count estimates the bytes L's objects take, as PUC's totalbytes counts
// them (collectgarbage("count"), gcinfo()): what the last collection found
// reachable, plus what the process allocated since and Go has not
// collected yet. So it grows as the script allocates, and falls when Go's
// collector runs, as PUC's count does with its own.
func Count(L *lua.LState) int {
	t := TrackedOf(L)
	if t.heapAtMark == 0 {
		if err := measure(L); err != nil {
			return 0
		}
	}
	return t.markBytes + max(0, heapInUse()-t.heapAtMark)
}

// measure marks without collecting, to set Count's baseline.
func measure(L *lua.LState) error {
	if _, ok := lauxlib.Registers(L); !ok {
		return errors.New("gopher-lua's value stacks cannot be read")
	}
	t := TrackedOf(L)
	m := newMarker(t)
	m.roots(L)
	m.propagate()
	t.markBytes, t.heapAtMark, t.objects = m.bytes, heapInUse(), m.seen.n
	return nil
}

// Step is collectgarbage("step", kb) with the step multiplier stepmul (a
// percentage): PUC's incremental collector does about 10 * stepmul bytes
// of work per step, plus kb kilobytes' worth, and a cycle about twice the
// heap's bytes. Collect is atomic, so Step counts that work and collects
// when a cycle's worth is done, reporting true as PUC does when a step
// ends a cycle.
func Step(L *lua.LState, kb, stepmul float64) (bool, error) {
	t := TrackedOf(L)
	t.stepWork += 10*max(stepmul, 1) + max(kb, 0)*1024*max(stepmul, 1)/100
	if t.stepWork < float64(2*Count(L)) {
		return false, nil
	}
	return true, Collect(L)
}

// FinalizeAll calls the finalizers of every tracked userdata that has
// one, newest first, as lua_close does; an error stops only the
// finalizer that raised it.
func FinalizeAll(L *lua.LState) {
	t := TrackedOf(L)
	uds := append(t.Userdata, t.pending...)
	t.Userdata, t.pending = nil, nil
	for i := len(uds) - 1; i >= 0; i-- {
		gc := L.GetMetaField(uds[i], "__gc")
		if gc.Type() != lua.LTFunction {
			continue
		}
		L.Push(gc)
		L.Push(uds[i])
		_ = L.PCall(1, 0, nil) // lua_close goes on after a failed finalizer
	}
}

// goCycles counts the collections of Go's collector: a cleanup of a
// throw-away object, re-armed each time, runs after each one.
var goCycles, goCyclesSeen atomic.Uint64

func init() { armCycleCounter() }

func armCycleCounter() {
	runtime.AddCleanup(new([16]byte), func(struct{}) {
		goCycles.Add(1)
		armCycleCounter()
	}, struct{}{})
}

// Poll notes that Go's collector ran since the last Poll, for a state
// that has weak tables or userdata to finalize, as PUC's collector runs
// while a script allocates: a state that collects inline (SetInline)
// collects now, so that a loop waiting for a weak entry to go, or for a
// finalizer, ends; in a host the collection is due at the end of the call
// (Due). It costs an atomic load when nothing is due; only the first state
// to poll after a Go collection takes it.
func Poll(L *lua.LState) error {
	c := goCycles.Load()
	if c == goCyclesSeen.Load() || !goCyclesSeen.CompareAndSwap(goCyclesSeen.Load(), c) {
		return nil
	}
	if t := TrackedOf(L); t.Weak || len(t.Userdata) > 0 {
		if t.Inline {
			return Collect(L)
		}
		t.goDue = true
	}
	return nil
}
