// Package luahost owns every Lua state of msyshost: it compiles scripts once
// per generation, keeps a bounded pool of states that share the compiled
// code, runs msys.registerModule, dispatches hooks under a deadline and
// swaps generations atomically. Lua-facing modules register here as
// Bindings from lib/msys/...; nothing outside luahost and lib/msys imports
// gopher-lua.
package luahost

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/dialect"
	"msyshost/luahost/puc"
)

// Options configure a host. Zero values take the defaults.
type Options struct {
	// PoolSize bounds the Lua states of a generation; default 64. A
	// generation starts with as many as there are CPUs (GOMAXPROCS) and
	// builds more only when every state is busy, so hooks that wait (a
	// store's fsync, DNS, HTTP) do not queue behind one another, while a
	// reload stays as quick as building a few states.
	PoolSize int
	// CallTimeout bounds every call into Lua; default 5s.
	CallTimeout time.Duration
	// SearchPath lists folders where require and script sources resolve.
	SearchPath []string
	// CallStackSize bounds Lua call depth; default 16384, where PUC 5.1's
	// call stack, doubling in size, stops short of LUAI_MAXCALLS (20000).
	// Each state allocates its frames up front (80 bytes each: 1.3 MB at
	// the default; gopher-lua's growing call stack panics instead of
	// raising "stack overflow"), and a stack overflow costs gopher-lua time
	// growing with the square of the depth (its traceback of the error).
	CallStackSize int
	// RegistryMaxSize bounds a state's value stack (slots); default 1<<20.
	RegistryMaxSize int
	// Standalone lets scripts end the process with os.exit, as lua5.1
	// does; a host serving hooks refuses it.
	Standalone bool
	// MemoryLimit stops a call during which the live heap grows by more
	// than this many bytes; default 256 MiB. The heap is the process's, so
	// concurrent calls share the allowance.
	MemoryLimit uint64
	// ThreadPools sets msys.runInPool's pools (name → concurrency) over
	// DefaultThreadPools: `threadpool "NAME" { concurrency = N }`.
	ThreadPools map[string]int
}

// Script is one script stanza: `script "Name" { source = "a.b" }`, or a file
// named directly (scenarios, msyshost check).
type Script struct {
	Name   string // stanza name; the name registerModule is expected to use
	Path   string // the file
	Source string // module name it was resolved from; "" when named by path
}

// Host runs generations of scripts.
type Host struct {
	opts     Options
	services *Services
	log      *slog.Logger
	gen      atomic.Pointer[Generation]
	watchdog *watchdog
	genSeq   atomic.Int64
	loadMu   sync.Mutex // serialises loads; guards closed
	closed   bool
	retiring sync.WaitGroup // generations draining after a swap
	// closing is closed by Close: a reload's old generation stops waiting
	// for its sessions.
	closing      chan struct{}
	sessionDrain atomic.Int64 // SetSessionDrain

	sharedMu sync.Mutex
	shared   map[any]any // HostShared objects
	pools    threadPools // msys.runInPool
}

// New returns a host with no scripts loaded; calls dispatch to nothing until
// Load succeeds.
func New(opts Options, svc *Services) *Host {
	if opts.PoolSize <= 0 {
		opts.PoolSize = 64
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 5 * time.Second
	}
	if opts.CallStackSize <= 0 {
		opts.CallStackSize = 16384
	}
	if opts.RegistryMaxSize <= 0 {
		opts.RegistryMaxSize = 1 << 20
	}
	if opts.MemoryLimit == 0 {
		opts.MemoryLimit = 256 << 20
	}
	if svc == nil {
		svc = &Services{}
	}
	if svc.Logger == nil {
		svc.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Host{opts: opts, services: svc, log: svc.Logger, watchdog: newWatchdog(opts.MemoryLimit), closing: make(chan struct{})}
	h.SetThreadPools(opts.ThreadPools)
	return h
}

// Load compiles scripts into a new generation and swaps it in. On any error
// the running generation keeps serving and the error says which script and
// where.
func (h *Host) Load(ctx context.Context, scripts []Script) error {
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	return h.load(ctx, scripts)
}

func (h *Host) load(ctx context.Context, scripts []Script) error {
	if h.closed {
		return errClosed
	}
	g, err := h.build(ctx, scripts)
	if err != nil {
		return err
	}
	if old := h.gen.Swap(g); old != nil {
		h.retiring.Add(1)
		go func() {
			defer h.retiring.Done()
			old.drain(h.drainBound(), h.closing)
			old.retire()
		}()
	}
	h.log.Info("scripts loaded", "generation", g.id, "scripts", len(scripts))
	return nil
}

// ensureLoaded builds an empty generation when none serves yet, so a chunk
// can run before any script is loaded.
func (h *Host) ensureLoaded(ctx context.Context) error {
	if h.gen.Load() != nil {
		return nil
	}
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	if h.gen.Load() != nil {
		return nil
	}
	return h.load(ctx, nil)
}

var errClosed = errors.New("lua host closed")

func (h *Host) isClosed() bool {
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	return h.closed
}

// Generation returns the serving generation's number (0 before any Load).
func (h *Host) Generation() int64 {
	if g := h.gen.Load(); g != nil {
		return g.id
	}
	return 0
}

// Files returns every file the serving generation compiled: its scripts
// and the modules they required so far, for a reloader to watch.
func (h *Host) Files() []string {
	g := h.gen.Load()
	if g == nil {
		return nil
	}
	g.protoMu.Lock()
	defer g.protoMu.Unlock()
	out := make([]string, 0, len(g.protos))
	for p := range g.protos {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Close retires every generation after its in-flight calls finish; the
// watchdog keeps their deadlines until then. Sessions still open are not
// waited for: their next call fails (Session.Call).
func (h *Host) Close() {
	h.loadMu.Lock()
	if !h.closed {
		h.closed = true
		close(h.closing)
	}
	g := h.gen.Swap(nil)
	h.loadMu.Unlock()
	if g != nil {
		g.drain(0, nil)
		g.retire()
	}
	h.retiring.Wait()
	h.watchdog.close()
}

// CompileError is a script that does not compile, or whose top-level code
// fails when a state runs it (Running).
type CompileError struct {
	Script  string // the script's file
	Running bool
	Err     error
}

func (e *CompileError) Error() string {
	if e.Running {
		return fmt.Sprintf("running %s: %v", e.Script, e.Err)
	}
	return fmt.Sprintf("compiling %s: %v", e.Script, e.Err)
}
func (e *CompileError) Unwrap() error { return e.Err }

// Compile compiles one file as the host does (the Momentum dialect
// included), for msyshost check.
func Compile(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = dialect.CompileFile(src, path)
	return err
}

// Generation is one immutable compiled set of scripts and its pool of states.
type Generation struct {
	id      int64
	host    *Host
	scripts []Script
	pool    *pool

	protoMu sync.Mutex
	protos  map[string]*lua.FunctionProto

	// inflight is read-held by every call; retire takes it to wait for them.
	inflight sync.RWMutex
	retired  bool
	// homeMu guards live, every state built and not closed, and each
	// state's homed count (homes.go).
	homeMu sync.Mutex
	live   []*state
	// sessMu guards the sessions pinned to the generation; a draining
	// generation takes no new one and closes drained when the last ends.
	sessMu   sync.Mutex
	sessions int
	draining bool
	drained  chan struct{}
	// missing counts states not built yet (the pool grows on demand) or
	// that broke and could not be rebuilt; acquire builds one rather than
	// let callers wait for a state that never comes.
	missing atomic.Int32

	// What the first state registered, frozen once it is built
	// (lifecycle.go): the modules in registration order and, per hook, the
	// modules that define it.
	mods   []modInfo
	chains map[string][]int
	// primary is the state that ran init; callbacks made while building
	// run there. A replacement replays the build and takes the role.
	primary  atomic.Pointer[state]
	shared   sharedObjects
	retireMu sync.Mutex
	onRetire []func()
	initDone bool // init succeeded: deinit is owed
	controls controls
}

func (h *Host) build(ctx context.Context, scripts []Script) (*Generation, error) {
	g := &Generation{
		id:      h.genSeq.Add(1),
		host:    h,
		scripts: scripts,
		pool:    newPool(h.opts.PoolSize),
		protos:  map[string]*lua.FunctionProto{},
	}
	for _, s := range scripts {
		if _, err := g.proto(s.Path); err != nil {
			return nil, &CompileError{Script: s.Path, Err: err}
		}
	}
	initial := min(h.opts.PoolSize, runtime.GOMAXPROCS(0))
	// The rest are built on demand: acquire builds a missing state when
	// every built one is busy.
	g.missing.Store(int32(h.opts.PoolSize - initial))
	for i := 0; i < initial; i++ {
		st, err := g.newState(ctx, i == 0)
		if err != nil {
			g.finish()
			return nil, err
		}
		if i == 0 {
			g.checkModules(st)
		}
		g.pool.put(st)
	}
	return g, nil
}

// proto compiles a file once per generation.
func (g *Generation) proto(path string) (*lua.FunctionProto, error) {
	g.protoMu.Lock()
	defer g.protoMu.Unlock()
	if p, ok := g.protos[path]; ok {
		return p, nil
	}
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		// A file deleted from disk keeps the code the serving generation
		// compiled from it, so the other scripts still reload.
		if prev := g.host.gen.Load(); prev != nil && prev != g {
			prev.protoMu.Lock()
			p, ok := prev.protos[path]
			prev.protoMu.Unlock()
			if ok {
				g.host.log.Warn("script file missing; its last good code stays", "file", path)
				g.protos[path] = p
				return p, nil
			}
		}
	}
	if err != nil {
		return nil, err
	}
	p, err := dialect.CompileFile(src, path)
	if err != nil {
		return nil, err
	}
	g.protos[path] = p
	return p, nil
}

func (g *Generation) loadFile(L *lua.LState, path string) (*lua.LFunction, error) {
	p, err := g.proto(path)
	if err != nil {
		return nil, err
	}
	return dialect.Load(L, p)
}

// newState builds a state, runs every script's top-level code in it and
// then the generation's init and rsrc_setup (lifecycle.go). The primary
// state is the first of a generation: what it registers is frozen for the
// generation, and its init decides whether the generation may serve. Every
// other state replays the same code quietly.
func (g *Generation) newState(ctx context.Context, primary bool) (*state, error) {
	st := g.host.newState(g)
	st.building, st.replica = true, !primary
	if err := g.runScripts(ctx, st); err != nil {
		st.close()
		return nil, err
	}
	if err := g.setUp(ctx, st, primary); err != nil {
		st.close()
		return nil, err
	}
	st.building, st.replica = false, false
	if primary {
		g.primary.Store(st)
	}
	g.track(st)
	return st, nil
}

// runScripts runs every script's top-level code in st.
func (g *Generation) runScripts(ctx context.Context, st *state) error {
	for _, s := range g.scripts {
		fn, err := g.loadFile(st.L, s.Path)
		if err != nil {
			return &CompileError{Script: s.Path, Err: err}
		}
		st.script = s.Name
		arg := s.Source
		if arg == "" {
			arg = s.Name
		}
		if err := st.pcall(ctx, fn, lua.LString(arg)); err != nil {
			return &CompileError{Script: s.Path, Running: true, Err: err}
		}
		if s.Source != "" {
			if r := st.L.Get(-1); r != lua.LNil {
				st.loaded().RawSetString(s.Source, r)
			} else if st.loaded().RawGetString(s.Source) == lua.LNil {
				st.loaded().RawSetString(s.Source, lua.LTrue)
			}
		}
		st.L.SetTop(0)
	}
	st.script = ""
	st.frozen = true
	return nil
}

// pcall calls fn under the host's deadline, leaving its one result on the
// stack. A timeout, the memory limit or a Go panic marks the state broken.
// Errors name the position of the code that failed when it is known.
func (st *state) pcall(ctx context.Context, fn *lua.LFunction, args ...lua.LValue) error {
	return st.pcallRet(ctx, fn, 1, args...)
}

// pcallN is pcall leaving every result on the stack.
func (st *state) pcallN(ctx context.Context, fn *lua.LFunction, args ...lua.LValue) error {
	return st.pcallRet(ctx, fn, lua.MultRet, args...)
}

func (st *state) pcallRet(ctx context.Context, fn *lua.LFunction, nret int, args ...lua.LValue) error {
	L := st.L
	prev, mine := st.watch.arm(st.host.watchdog, ctx, st.host.opts.CallTimeout)
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), nret, st.errHandler)
	if st.out != nil {
		st.out.flush()
	}
	var werr error
	if st.watch.end(prev, mine) {
		// The watch fired, even if the call ended first: its channel is
		// closed for good, so the state is replaced.
		st.broken = true
		werr = st.watch.firedErr()
	}
	if err == nil {
		return nil
	}
	if werr == nil {
		// A state whose watch fired is discarded; its closed context would
		// stop the cleanup before it starts.
		puc.AfterError(L)
	}
	var apiErr *lua.ApiError
	if !errors.As(err, &apiErr) {
		return err
	}
	msg := apiErr.Object.String()
	switch {
	case werr == ErrMemoryLimit:
		return fmt.Errorf("memory limit of %d MiB exceeded%s", st.host.opts.MemoryLimit>>20, at(positionOf(msg)))
	case werr != nil && ctx.Err() != nil:
		return fmt.Errorf("call cancelled (%v)%s", ctx.Err(), at(positionOf(msg)))
	case werr != nil:
		return fmt.Errorf("deadline of %s exceeded%s", st.host.opts.CallTimeout, at(positionOf(msg)))
	}
	return errors.New(msg)
}

var (
	positionRE = regexp.MustCompile(`^([^\s:][^:\n]*:\d+):`)
)

// positionOf returns the "file:line" an error message starts with.
func positionOf(msg string) string {
	if m := positionRE.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

func at(pos string) string {
	if pos == "" {
		return ""
	}
	return " at " + pos
}

// acquire takes a state from the pool, holding the generation in flight.
// It returns nil when the generation retired meanwhile.
func (g *Generation) acquire(ctx context.Context) (*state, error) {
	g.inflight.RLock()
	if g.retired {
		g.inflight.RUnlock()
		return nil, nil
	}
	for {
		if st := g.pool.tryGet(); st != nil {
			return st, nil
		}
		if g.claimMissing() {
			st, err := g.newState(ctx, false)
			if err != nil {
				g.missing.Add(1)
				g.pool.signal() // another waiter may try in its turn
				g.inflight.RUnlock()
				return nil, fmt.Errorf("generation %d has no usable Lua state: %w", g.id, err)
			}
			return st, nil
		}
		select {
		case <-g.pool.wake:
		case <-ctx.Done():
			g.inflight.RUnlock()
			return nil, ctx.Err()
		}
	}
}

// claimMissing takes one missing state's place, for the caller to rebuild.
func (g *Generation) claimMissing() bool {
	for m := g.missing.Load(); m > 0; m = g.missing.Load() {
		if g.missing.CompareAndSwap(m, m-1) {
			return true
		}
	}
	return false
}

// replace closes a broken state and builds a fresh one for the same caller;
// nil when that fails (the pool then counts it missing). A fresh state
// replaces the primary in its role.
func (g *Generation) replace(st *state) *state {
	st.close()
	fresh, err := g.newState(context.Background(), false)
	if err != nil {
		g.missing.Add(1)
		g.pool.signal() // a waiter may rebuild it instead
		g.host.log.Error("rebuilding a Lua state failed", "generation", g.id, "error", err)
		return nil
	}
	g.primary.CompareAndSwap(st, fresh)
	return fresh
}

// release resets a state and returns it to the pool; a broken state is
// replaced by a fresh one.
func (g *Generation) release(st *state) {
	defer g.inflight.RUnlock()
	if st != nil && st.broken {
		st = g.replace(st)
	}
	if st == nil {
		return
	}
	st.script = ""
	st.L.SetTop(0)
	if st.collectDue() {
		st.collect()
		if st.broken {
			if st = g.replace(st); st == nil {
				return
			}
		}
	}
	g.pool.put(st)
}

// retire stops a generation once its in-flight calls are done: deinit,
// then what its scripts left running (timers, controls), then its states.
func (g *Generation) retire() {
	g.inflight.Lock()
	g.retired = true
	g.inflight.Unlock()
	g.finish()
}

func (g *Generation) closeStates() {
	for _, st := range g.pool.drain() {
		st.close()
	}
}

// acquire returns a held state of the serving generation.
func (h *Host) acquire(ctx context.Context) (*Generation, *state, error) {
	for {
		g := h.gen.Load()
		if g == nil {
			return nil, nil, errNoScripts
		}
		st, err := g.acquire(ctx)
		if err != nil {
			return nil, nil, err
		}
		if st != nil {
			return g, st, nil
		}
	}
}

var errNoScripts = errors.New("no scripts loaded")

func (h *Host) emitPrint(script, line string) {
	if h.log.Enabled(context.Background(), slog.LevelInfo) {
		h.log.Info(line, "script", script, "source", "print")
	}
	if h.services.Print != nil {
		h.services.Print(script, line)
	}
}
