package luahost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/dialect"
	"msyshost/luahost/puc"
)

// state is one LState and what the host knows about it. A state belongs to
// one generation and is used by one goroutine at a time.
type state struct {
	L       *lua.LState
	host    *Host
	gen     *Generation
	classes map[string]*class
	modules []*module // in registration order, scripts in config order
	// script is the script whose code is running, for print and
	// registerModule.
	script string
	broken bool // a call timed out or panicked: do not reuse
	closed atomic.Bool
	watch  *watch
	// tostring is the library tostring, for print's fast path.
	tostring lua.LValue
	args     []lua.LValue // reused for hook arguments
	printBuf []byte       // reused by print
	// errHandler puts errors in PUC's words (puc.ErrorHandler).
	errHandler *lua.LFunction
	// out is a hook state's standard output (nil when standalone).
	out *lineOutput

	// building is set while the state runs the scripts' top-level code and
	// the generation's init and rsrc_setup; replica when another state of
	// the generation did that first, so this one replays it quietly
	// (lifecycle.go).
	building, replica bool
	frozen            bool           // registerModule refused: the generation is built
	ordinals          map[string]int // Shared calls so far while building, by kind
	// kept holds the functions of callbacks bound to this state (Keep);
	// selfs the live sessions' selfs in it (session.go). Both are roots
	// of the collection, and change from other goroutines (a callback
	// released, a session closed), hence rootsMu.
	rootsMu  sync.Mutex
	kept     map[*Callback]*lua.LFunction
	selfs    map[*lua.LTable]struct{}
	idle     chan struct{} // signalled when the state goes back to the pool
	printTo  *strings.Builder
	onClose  []func()
	callArgs []lua.LValue // the arguments of the hook call running
	homed    int          // sessions homed here (Generation.homeMu)
	// selfMeta is, per module index, the metatable of a session's self
	// (session.go): __index is the module table.
	selfMeta map[int]*lua.LTable
	// collectDue says when to collect weak tables and finalizers.
	collectDue func() bool
	// onRelease runs after every call into the state (OnRelease).
	onRelease []func()
	locals    map[any]any // StateLocal
	// journalPos is a replaying state's next entry of its generation's
	// journal; divergedOnce records that it took another path.
	journalPos   int
	divergedOnce bool
}

// lineOutput is a hook state's standard output: io.write and io.stdout
// reach the host line by line, as print does, instead of the process's
// stdout, where they would land in the middle of a report or a daemon's
// log. A line left open when a call ends is emitted then.
type lineOutput struct {
	st  *state
	buf []byte
}

// maxOutputLine bounds an unterminated line held back.
const maxOutputLine = 64 << 10

func (w *lineOutput) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.st.emitLine(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxOutputLine {
		w.flush()
	}
	return len(p), nil
}

func (w *lineOutput) flush() {
	if len(w.buf) > 0 {
		w.st.emitLine(w.buf)
		w.buf = w.buf[:0]
	}
}

// close releases the state and stops watching it. A state that did not
// break first runs its finalizers, under the deadline, as lua_close does.
func (st *state) close() {
	if !st.broken {
		fn := st.L.NewFunction(func(L *lua.LState) int {
			puc.FinalizeAll(L)
			return 0
		})
		if err := st.pcall(context.Background(), fn); err != nil {
			st.host.log.Warn("finalizing a Lua state failed", "error", err)
		}
	}
	for i := len(st.onClose) - 1; i >= 0; i-- {
		st.onClose[i]()
	}
	st.onClose = nil
	st.host.watchdog.remove(st.watch)
	st.L.Close()
	st.closed.Store(true)
	if st.gen != nil {
		st.gen.live.Add(-1)
		st.gen.forget(st)
	}
	// A callback waiting for this state looks again (lifecycle.go).
	select {
	case st.idle <- struct{}{}:
	default:
	}
}

// module is one msys.registerModule call.
type module struct {
	name   string
	script string
	tbl    *lua.LTable
}

const stateKey = "msyshost.state"

func stateOf(L *lua.LState) *state {
	ud, ok := L.G.Registry.RawGetString(stateKey).(*lua.LUserData)
	if !ok {
		panic("luahost: state was not built by luahost")
	}
	return ud.Value.(*state)
}

// newState builds a state: libraries, bindings, require, msys; it does not
// run any script.
func (h *Host) newState(g *Generation) *state { return h.newStateTraced(g, nil) }

// newStateTraced is newState calling trace after each binding opens.
func (h *Host) newStateTraced(g *Generation, trace func(st *state, b Binding)) *state {
	L := lua.NewState(lua.Options{
		CallStackSize:       h.opts.CallStackSize,
		RegistrySize:        1024 * 4,
		RegistryMaxSize:     h.opts.RegistryMaxSize,
		RegistryGrowStep:    4096, // deep recursion grows the stack by 64 KiB steps, not 512 B
		IncludeGoStackTrace: false,
	})
	st := &state{L: L, host: h, gen: g, classes: map[string]*class{}, watch: newWatch(),
		ordinals: map[string]int{}, kept: map[*Callback]*lua.LFunction{}, idle: make(chan struct{}, 1)}
	L.SetContext(st.watch)
	h.watchdog.add(st.watch)
	if g != nil {
		g.live.Add(1)
	}
	ud := L.NewUserData()
	ud.Value = st
	L.G.Registry.RawSetString(stateKey, ud)

	puc.Open(L)
	st.errHandler = puc.ErrorHandler(L)
	dialect.Open(L)
	if !h.opts.Standalone {
		st.out = &lineOutput{st: st}
		puc.SetOutput(L, st.out)
		oslib := L.GetGlobal("os").(*lua.LTable)
		oslib.RawSetString("exit", L.NewFunction(func(L *lua.LState) int {
			L.RaiseError("os.exit is not available to scriptlets: it would stop the host")
			return 0
		}))
	}
	st.journalOS()
	st.openMsys()
	L.SetGlobal("print", L.NewFunction(st.print))
	st.tostring = L.GetGlobal("tostring")
	st.openRequire()
	puc.SetRoots(L, st.roots)
	puc.SetAllowance(L, func() (uint64, bool) { return Allowance(L) })
	puc.SetInline(L, h.opts.Standalone)
	st.collectDue = puc.CollectDue(L)
	loaded := st.loaded()
	preload, _ := L.GetField(L.GetGlobal("package"), "preload").(*lua.LTable)
	for _, b := range registeredBindings() {
		if b.Unavailable != "" {
			// require fails at once, naming what the module needs,
			// rather than searching the path for it.
			name, why := b.Name, b.Unavailable
			preload.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
				raise(L, "module '%s' is not available in msyshost: %s", name, why)
				return 0
			}))
			continue
		}
		v := b.Open(L)
		if v == nil || v == lua.LNil {
			v = lua.LTrue
		}
		loaded.RawSetString(b.Name, v)
		if t, ok := v.(*lua.LTable); ok {
			st.setPath(b.Name, t)
		}
		if trace != nil {
			trace(st, b)
		}
	}
	return st
}

func (st *state) loaded() *lua.LTable {
	pkg := st.L.GetGlobal("package").(*lua.LTable)
	return st.L.GetField(pkg, "loaded").(*lua.LTable)
}

// setPath stores t at a dotted path under the globals, creating tables on
// the way, and keeps tables that are already there (msys stays msys when
// msys.core is added).
func (st *state) setPath(name string, t *lua.LTable) {
	L := st.L
	parts := strings.Split(name, ".")
	cur := L.G.Global
	for i, p := range parts {
		if i == len(parts)-1 {
			if existing, ok := cur.RawGetString(p).(*lua.LTable); ok && existing != t {
				// A parent registered first: merge the binding's fields in.
				t.ForEach(func(k, v lua.LValue) { existing.RawSet(k, v) })
				st.loaded().RawSetString(name, existing)
				return
			}
			cur.RawSetString(p, t)
			return
		}
		next, ok := cur.RawGetString(p).(*lua.LTable)
		if !ok {
			next = L.NewTable()
			cur.RawSetString(p, next)
		}
		cur = next
	}
}

// print writes its arguments as PUC's print does (tostring each, tabs
// between) to the host's print sink, tagged with the running script.
func (st *state) print(L *lua.LState) int {
	n := L.GetTop()
	tostring := L.GetGlobal("tostring")
	library := tostring == st.tostring
	b := st.printBuf[:0]
	for i := 1; i <= n; i++ {
		if i > 1 {
			b = append(b, '\t')
		}
		if s, ok := L.Get(i).(lua.LString); ok && library {
			// What the library tostring would return, without the call.
			b = appendCString(b, string(s))
			continue
		}
		if !callable(L, tostring) {
			raise(L, "attempt to call a %s value", tostring.Type())
		}
		L.Push(tostring)
		L.Push(L.Get(i))
		L.Call(1, 1)
		s, ok := L.Get(-1).(lua.LString)
		if !ok {
			raise(L, "'tostring' must return a string to 'print'")
		}
		L.Pop(1)
		b = appendCString(b, string(s))
	}
	st.printBuf = b
	st.emitLine(b)
	return 0
}

// emitLine sends one line of script output where it goes: a console
// command's answer while one runs, otherwise the host's output; a replica
// replaying the load stays quiet.
func (st *state) emitLine(b []byte) {
	switch {
	case st.printTo != nil:
		st.printTo.Write(b)
		st.printTo.WriteByte('\n')
	case !st.replica:
		st.host.emitPrint(st.script, string(b))
	}
}

// endCall runs what bindings asked to run after each call (OnRelease).
func (st *state) endCall() {
	for _, f := range st.onRelease {
		f()
	}
}

// roots are the Lua values the host holds in Go: the registered modules,
// the functions of callbacks (timers, console commands, endpoints, jobs),
// the arguments of the hook call running and the selfs of live sessions.
func (st *state) roots() []lua.LValue {
	st.rootsMu.Lock()
	defer st.rootsMu.Unlock()
	r := make([]lua.LValue, 0, len(st.modules)+len(st.kept)+len(st.callArgs)+len(st.selfs))
	for _, m := range st.modules {
		r = append(r, m.tbl)
	}
	for _, fn := range st.kept {
		r = append(r, fn)
	}
	r = append(r, st.callArgs...)
	for t := range st.selfs {
		r = append(r, t)
	}
	return r
}

// rootSelf keeps a session's self reachable for the collection while the
// session lives; unrootSelfs lets the session's selfs go.
func (st *state) rootSelf(t *lua.LTable) {
	st.rootsMu.Lock()
	if st.selfs == nil {
		st.selfs = map[*lua.LTable]struct{}{}
	}
	st.selfs[t] = struct{}{}
	st.rootsMu.Unlock()
}

func (st *state) unrootSelfs(selfs map[int]*lua.LTable) {
	st.rootsMu.Lock()
	for _, t := range selfs {
		delete(st.selfs, t)
	}
	st.rootsMu.Unlock()
}

// collect runs a collection between calls: the marking, which runs no
// Lua code, without a deadline (its time grows with the state's heap, and
// pacing bounds how often it runs); the finalizers, which are Lua code,
// under the host's deadline. What fails is logged.
func (st *state) collect() {
	if puc.Sweep(st.L) == 0 {
		return
	}
	fn := st.L.NewFunction(func(L *lua.LState) int {
		if err := puc.Finalize(L); err != nil {
			var ae *lua.ApiError
			if errors.As(err, &ae) {
				L.Error(ae.Object, 0)
			}
			L.Error(lua.LString(err.Error()), 0)
		}
		return 0
	})
	if err := st.pcall(context.Background(), fn); err != nil {
		st.host.log.Warn("collecting garbage in a Lua state failed", "error", err)
	}
	st.L.SetTop(0)
}

// raise raises an error without a position, as PUC's C library functions
// do (luaL_error from a C function has no Lua line to name).
func raise(L *lua.LState, format string, args ...any) {
	L.Error(lua.LString(fmt.Sprintf(format, args...)), 0)
}

// appendCString appends s up to its first NUL: PUC's print writes each
// piece with fputs, which stops there.
func appendCString(b []byte, s string) []byte {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return append(b, s...)
}

// callable reports whether calling v can work: a function or a value with
// __call.
func callable(L *lua.LState, v lua.LValue) bool {
	return v.Type() == lua.LTFunction || L.GetMetaField(v, "__call").Type() == lua.LTFunction
}

// openRequire points require (puc's, as PUC's loadlib.c) at the search
// path, and at the generation's compiled code: a module is compiled once per
// generation whichever state requires it. A standalone host (msyshost lua)
// searches lua5.1's paths after its own and takes LUA_PATH and LUA_CPATH as
// lua5.1 does.
func (st *state) openRequire() {
	var templates []string
	for _, dir := range st.host.opts.SearchPath {
		templates = append(templates, strings.TrimSuffix(dir, "/")+"/?.lua")
	}
	path, cpath := strings.Join(templates, ";"), ""
	env, cenv := "", ""
	if st.host.opts.Standalone {
		// lua5.1's own paths follow, as LUA_PATH's ";;" stands for.
		env, cenv = "LUA_PATH", "LUA_CPATH"
		path = strings.Join(append(templates, puc.DefaultPath), ";")
		cpath = puc.DefaultCPath
	}
	puc.SetPath(st.L, "path", env, path)
	puc.SetPath(st.L, "cpath", cenv, cpath)
	puc.SetFileLoader(st.L, func(L *lua.LState, path string) (*lua.LFunction, error) {
		fn, err := st.gen.loadFile(L, path)
		var se *dialect.SyntaxError
		if errors.As(err, &se) {
			return nil, errors.New(se.LuaMessage())
		}
		return fn, err
	})
}

// resolve finds a module's file on the search path.
func (h *Host) resolve(name string) (path, tried string) {
	rel := strings.ReplaceAll(name, ".", string(filepath.Separator))
	rel = filepath.FromSlash(rel) + ".lua"
	var b strings.Builder
	for _, dir := range h.opts.SearchPath {
		p := filepath.Join(dir, rel)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, ""
		}
		fmt.Fprintf(&b, "\n\tno file '%s'", p)
	}
	return "", b.String()
}

// Resolve finds the file of a script source ("a.b" or "a/b") on the host's
// search path.
func (h *Host) Resolve(source string) (string, error) {
	path, tried := h.resolve(source)
	if path == "" {
		return "", fmt.Errorf("script source %q not found:%s", source, tried)
	}
	return path, nil
}

// journalOS makes the os functions that change the file system or run a
// program act once for a generation's load: a state replaying it gets
// the first state's results (journal.go).
func (st *state) journalOS() {
	oslib, ok := st.L.GetGlobal("os").(*lua.LTable)
	if !ok {
		return
	}
	for _, name := range []string{"remove", "rename", "execute", "tmpname"} {
		fn, ok := oslib.RawGetString(name).(*lua.LFunction)
		if !ok || !fn.IsG {
			continue
		}
		call, qualified := fn.GFunction, "os."+name
		oslib.RawSetString(name, st.L.NewFunction(func(L *lua.LState) int {
			return journaled(L, qualified, Effect, call)
		}))
	}
}
