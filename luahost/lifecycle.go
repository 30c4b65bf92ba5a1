package luahost

import (
	"context"
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
)

// A generation's life, as Momentum's: the scripts' top-level code registers
// modules (msys.registerModule); once it has run, the registrations are
// frozen for the generation. init() then runs once, before the generation
// serves, and must return true, or the generation is refused with the
// error and the old one keeps serving; rsrc_setup() follows. deinit() runs
// when the generation retires, after its last call.
//
// Momentum runs every script in one shared interpreter, so what init puts
// in a module's locals is there for every later call. msyshost keeps a pool
// of independent Lua states; the first (primary) state runs the top-level
// code and init for real, and every other state replays them quietly: its
// prints are dropped, and objects made while building (Shared, Keep: mutexes,
// timers, console commands) are the primary's, so each exists once per
// generation. A module's locals therefore hold the same values in every
// state, and init's effects outside Lua happen once.

// modInfo is one registered module, as the generation knows it.
type modInfo struct {
	name, script string
}

// setUp freezes the registrations (primary) or checks that a replaying state
// made the same ones, then runs init and rsrc_setup.
func (g *Generation) setUp(ctx context.Context, st *state, primary bool) error {
	if primary {
		g.mods = make([]modInfo, len(st.modules))
		g.chains = map[string][]int{}
		for i, m := range st.modules {
			g.mods[i] = modInfo{name: m.name, script: m.script}
			m.tbl.ForEach(func(k, v lua.LValue) {
				if ks, ok := k.(lua.LString); ok && v.Type() == lua.LTFunction {
					g.chains[string(ks)] = append(g.chains[string(ks)], i)
				}
			})
		}
		for _, c := range g.chains {
			sort.Ints(c)
		}
	} else if len(st.modules) != len(g.mods) {
		return fmt.Errorf("the scripts registered %d modules in one Lua state and %d in another: registrations must not depend on anything but the scripts", len(g.mods), len(st.modules))
	}
	if err := g.lifecycle(ctx, st, "init"); err != nil {
		return err
	}
	if primary {
		g.initDone = true
	}
	return g.lifecycle(ctx, st, "rsrc_setup")
}

// lifecycle calls a lifecycle method of every module that defines it, in
// registration order. init must return true; rsrc_setup should, and a
// primary state's other answers are logged.
func (g *Generation) lifecycle(ctx context.Context, st *state, name string) error {
	for _, i := range g.chains[name] {
		m := st.modules[i]
		fn, ok := m.tbl.RawGetString(name).(*lua.LFunction)
		if !ok {
			continue
		}
		st.script = m.script
		err := st.pcall(ctx, fn, m.tbl)
		ret := st.L.Get(-1)
		st.L.SetTop(0)
		st.script = ""
		switch {
		case err != nil:
			return fmt.Errorf("%s of module %s (%s) failed: %w", name, m.name, m.script, err)
		case ret == lua.LTrue:
		case name == "init":
			return fmt.Errorf("init of module %s (%s) returned %s, not true (defined at %s)", m.name, m.script, describe(ret), position(fn))
		case !st.replica:
			g.host.log.Warn(name+" did not return true", "module", m.name, "script", m.script, "returned", describe(ret))
		}
	}
	return nil
}

// describe names a returned value for an error message.
func describe(v lua.LValue) string {
	switch v.Type() {
	case lua.LTNil:
		return "nil"
	case lua.LTString:
		return fmt.Sprintf("%q", string(v.(lua.LString)))
	case lua.LTNumber, lua.LTBool:
		return v.String()
	}
	return v.Type().String()
}

// finish ends a generation that is retiring or was refused, once its
// in-flight calls are done (retire): deinit runs when init ran, then what
// the generation's objects registered with OnRetire, then the states
// close.
func (g *Generation) finish() {
	if g.initDone && len(g.chains["deinit"]) > 0 {
		g.deinit()
	}
	g.runRetire()
	g.closeStates()
}

// deinit runs deinit in the primary, or in another idle state, or in a
// state built for it when every state broke; what fails is logged.
func (g *Generation) deinit() {
	st := g.primary.Load()
	if st == nil || !g.pool.take(st) {
		st, _ = g.pool.tryGet()
	}
	if st == nil {
		var err error
		if st, err = g.newState(context.Background(), false); err != nil {
			g.host.log.Error("deinit not run: no Lua state of the generation is left and building one failed", "generation", g.id, "error", err)
			return
		}
	}
	if err := g.lifecycle(context.Background(), st, "deinit"); err != nil {
		g.host.log.Error("deinit failed", "generation", g.id, "error", err)
	}
	st.endCall()
	if st.broken {
		st.close()
	} else {
		g.pool.put(st)
	}
}

// registerModule is msys.registerModule(name, table).
func (st *state) registerModule(L *lua.LState) int {
	a := Args{L: L, Name: "registerModule"}
	name := a.String(1)
	tbl := a.Table(2)
	if st.frozen {
		a.Raise("msys.registerModule(%q): modules register while the scripts load; this generation's modules are frozen", name)
	}
	st.modules = append(st.modules, &module{name: name, script: st.script, tbl: tbl})
	return 0
}

// checkModules warns about registrations that will never run as the author
// expects; it runs once per generation on its primary state.
func (g *Generation) checkModules(st *state) {
	log := g.host.log
	for _, m := range st.modules {
		var hooks, typos []string
		m.tbl.ForEach(func(k, v lua.LValue) {
			ks, ok := k.(lua.LString)
			if !ok || v.Type() != lua.LTFunction {
				return
			}
			if _, known := hook.Lookup(string(ks)); known {
				hooks = append(hooks, string(ks))
			} else if s := hook.Suggest(string(ks)); s != "" {
				typos = append(typos, string(ks)+" (did you mean "+s+"?)")
			}
		})
		sort.Strings(hooks)
		sort.Strings(typos)
		if len(hooks) == 0 {
			log.Warn("scriptlet: no usable methods found for module "+m.name+" in registerModule call", "script", m.script)
		} else {
			log.Info("module registered", "module", m.name, "script", m.script, "hooks", strings.Join(hooks, ","))
		}
		for _, t := range typos {
			log.Warn("module method is not a known hook: "+t, "module", m.name, "script", m.script)
		}
		if m.script != "" && m.name != m.script && !strings.HasSuffix(m.script, "/"+m.name+".lua") && !strings.HasSuffix(m.script, "/"+m.name) {
			log.Warn("module name differs from its script stanza; it runs anyway", "module", m.name, "script", m.script)
		}
	}
}

// sharedObjects are the objects Shared made while a generation was built,
// by kind, in the order the primary state made them.
type sharedObjects struct {
	byKind map[string][]any
}

// Shared returns the object of kind made at this point of the scripts. While
// a generation is built, the n-th Shared call of a kind in every state gets
// the object the first state made (make runs once per generation), so a
// mutex or timer made at a script's top level or in init exists once, as in
// Momentum's single interpreter. At run time make runs on every call. fresh
// reports that make ran.
func Shared[T any](L *lua.LState, kind string, make func() T) (v T, fresh bool) {
	st := stateOf(L)
	if !st.building {
		return make(), true
	}
	g := st.gen
	n := st.ordinals[kind]
	st.ordinals[kind] = n + 1
	// Only the primary writes, while the generation is built and before
	// any other state of it exists; states built later (more of the pool,
	// a replacement) may build at the same time as each other, and only
	// read.
	if objs := g.shared.byKind[kind]; n < len(objs) {
		if v, ok := objs[n].(T); ok {
			return v, false
		}
	}
	if st.replica {
		// The primary made fewer of these: the scripts' top level or init
		// took another path here, and the object is this state's own, not
		// shared with the others.
		st.diverged(fmt.Sprintf("made %s #%d, which the first state did not", kind, n+1))
		return make(), true
	}
	v = make()
	if g.shared.byKind == nil {
		g.shared.byKind = map[string][]any{}
	}
	g.shared.byKind[kind] = append(g.shared.byKind[kind], v)
	return v, true
}

// diverged logs, once per state, that a state replaying its generation's
// build took another path than the primary: what it made or did is its
// own, where the scripts expect one for the generation.
func (st *state) diverged(what string) {
	if st.divergedOnce {
		return
	}
	st.divergedOnce = true
	st.host.log.Error("a Lua state replaying the scripts' load took another path than the first state: the scripts' top-level code or init depend on something besides their own code and what the first state saw",
		"generation", st.gen.id, "script", st.script, "at", what)
}

// Quiet reports whether L is replaying a generation's build: bindings with
// effects outside Lua skip them then, since the primary state had them
// already (most are Func's Effect instead).
func Quiet(L *lua.LState) bool { return stateOf(L).replica }

// Building reports whether L runs the scripts' top-level code or their
// init or rsrc_setup, rather than a hook or a chunk.
func Building(L *lua.LState) bool { return stateOf(L).building }

// OnServe runs f when the generation of L starts serving (a reload's
// swap), or at once when it serves already. A binding writes what other
// generations and Go code see (HTTP endpoints, authentication schemes,
// CIDR refreshers, timers) there, so a generation that is refused, or is
// still being built, changes nothing outside itself. A replaying state's
// f is dropped: the primary's ran.
func OnServe(L *lua.LState, f func()) {
	st := stateOf(L)
	if st.replica {
		return
	}
	g := st.gen
	g.serveMu.Lock()
	if !g.serving {
		g.onServe = append(g.onServe, f)
		g.serveMu.Unlock()
		return
	}
	g.serveMu.Unlock()
	f()
}

// serve runs the OnServe functions in order and lets the generation's
// callbacks run.
func (g *Generation) serve() {
	g.serveMu.Lock()
	fns := g.onServe
	g.onServe, g.serving = nil, true
	g.serveMu.Unlock()
	for _, f := range fns {
		f()
	}
	close(g.ready)
}

// refuse ends a generation that failed to build: its OnServe functions
// never run, its callbacks return ErrGone, and it retires (deinit when
// init ran, OnRetire, states closed) once calls into it are done.
func (g *Generation) refuse() {
	g.serveMu.Lock()
	g.onServe = nil
	g.refused.Store(true)
	g.serveMu.Unlock()
	close(g.ready)
	g.retire()
}

// OnRetire runs f when the generation of L retires, after deinit; f runs
// once, with the others in the reverse order of their registration.
// Objects that outlive a call (timers, console commands, pools) stop
// there. The returned cancel forgets f (an object stopped earlier).
func OnRetire(L *lua.LState, f func()) (cancel func()) {
	g := stateOf(L).gen
	g.retireMu.Lock()
	defer g.retireMu.Unlock()
	g.retireSeq++
	id := g.retireSeq
	if g.onRetire == nil {
		g.onRetire = map[uint64]func(){}
	}
	g.onRetire[id] = f
	return func() {
		g.retireMu.Lock()
		delete(g.onRetire, id)
		g.retireMu.Unlock()
	}
}

// runRetire runs the OnRetire functions, newest first.
func (g *Generation) runRetire() {
	g.retireMu.Lock()
	fns := g.onRetire
	g.onRetire = nil
	g.retireMu.Unlock()
	ids := make([]uint64, 0, len(fns))
	for id := range fns {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	for _, id := range ids {
		fns[id]()
	}
}

// OnClose runs f when L is closed (a retired generation, or a state that
// broke); locks a state holds are released there.
func OnClose(L *lua.LState, f func()) {
	st := stateOf(L)
	st.onClose = append(st.onClose, f)
}

// OnRelease runs f after every call into L's state ends (a hook chain, a
// callback, a chunk) and after the state is built, before it serves
// another call: a binding releases there what a call left held (locks). A
// binding registers once per state (StateLocal).
func OnRelease(L *lua.LState, f func()) {
	st := stateOf(L)
	st.onRelease = append(st.onRelease, f)
}

// StateLocal returns L's host state's object under key, made by make on
// first use: per-state bookkeeping of a binding (the locks a state holds),
// shared by the state's coroutines.
func StateLocal[T any](L *lua.LState, key any, make func() T) T {
	st := stateOf(L)
	if v, ok := st.locals[key]; ok {
		return v.(T)
	}
	if st.locals == nil {
		st.locals = map[any]any{}
	}
	v := make()
	st.locals[key] = v
	return v
}

// GenerationLocal returns the object under key of L's generation, made by
// make on first use: what a binding keeps for one generation (what it
// defined while the generation is built, before OnServe publishes it).
func GenerationLocal[T any](L *lua.LState, key any, make func() T) T {
	g := stateOf(L).gen
	g.localsMu.Lock()
	defer g.localsMu.Unlock()
	if v, ok := g.locals[key]; ok {
		return v.(T)
	}
	if g.locals == nil {
		g.locals = map[any]any{}
	}
	v := make()
	g.locals[key] = v
	return v
}

// Owner identifies L's host state: the same value for the state and its
// coroutines, and distinct for every state. Locks are owned by it.
func Owner(L *lua.LState) any { return stateOf(L) }

// CallArgs returns the arguments of the hook call L is running (after
// self), for functions that act on "the current session" without taking it
// as an argument (msys.expandMacro, msys.cidr.query); nil outside a hook.
func CallArgs(L *lua.LState) []lua.LValue { return stateOf(L).callArgs }

// HostShared returns the host's object under key, made by make on first
// use: state that outlives generations and is shared by every state of a
// host (the share space, named locks, counters, gauge caches).
func HostShared[T any](L *lua.LState, key any, make func() T) T {
	h := stateOf(L).host
	h.sharedMu.Lock()
	defer h.sharedMu.Unlock()
	if v, ok := h.shared[key]; ok {
		return v.(T)
	}
	if h.shared == nil {
		h.shared = map[any]any{}
	}
	v := make()
	h.shared[key] = v
	return v
}
