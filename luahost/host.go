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
	"math"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
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
	// than this many bytes; default 256 MiB, none for a Standalone host
	// (lua5.1 has none; math.MaxUint64 is none too). The heap is the
	// process's, so concurrent calls share the allowance.
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

	sharedMu sync.Mutex
	shared   map[any]any // HostShared objects
	pools    threadPools // msys.runInPool

	// The asynchronous msys.runInPool jobs: how many wait or run, and
	// their goroutines, which Close cancels and waits for.
	jobsPending atomic.Int64
	jobs        sync.WaitGroup
	jobsCtx     context.Context
	stopJobs    context.CancelFunc
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
	switch {
	case opts.MemoryLimit == 0 && opts.Standalone:
		opts.MemoryLimit = math.MaxUint64
	case opts.MemoryLimit == 0:
		opts.MemoryLimit = 256 << 20
	}
	if svc == nil {
		svc = &Services{}
	}
	if svc.Logger == nil {
		svc.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Host{opts: opts, services: svc, log: svc.Logger, watchdog: newWatchdog(opts.MemoryLimit)}
	h.jobsCtx, h.stopJobs = context.WithCancel(context.Background())
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
	g.serve()
	if old := h.gen.Swap(g); old != nil {
		h.retiring.Add(1)
		h.goSafe("retiring a generation", func() {
			defer h.retiring.Done()
			old.retire()
		})
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
// watchdog keeps their deadlines until then.
func (h *Host) Close() {
	h.loadMu.Lock()
	h.closed = true
	g := h.gen.Swap(nil)
	h.loadMu.Unlock()
	h.stopJobs()
	if g != nil {
		g.retire()
	}
	h.retiring.Wait()
	h.jobs.Wait()
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
	retired  atomic.Bool
	// missing counts states not built yet (the pool grows on demand) or
	// that broke; grow builds them in the background when no state is
	// idle. live counts the states built and not closed.
	missing  atomic.Int32
	live     atomic.Int32
	growing  atomic.Bool
	buildErr atomic.Pointer[error] // the last build's failure; nil after a success
	retryAt  atomic.Int64          // unix nanoseconds before which grow does not build

	// What the first state registered, frozen once it is built
	// (lifecycle.go): the modules in registration order and, per hook, the
	// modules that define it.
	mods   []modInfo
	chains map[string][]int
	// primary is the state that ran init; callbacks made while building
	// run there. A replacement replays the build and takes the role.
	primary   atomic.Pointer[state]
	shared    sharedObjects
	retireMu  sync.Mutex
	onRetire  map[uint64]func() // OnRetire, by registration order
	retireSeq uint64
	initDone  bool // init succeeded: deinit is owed

	// What bindings write outside the generation waits for it to serve
	// (OnServe); ready is closed when it serves or is refused.
	serveMu sync.Mutex
	onServe []func()
	serving bool
	refused atomic.Bool
	ready   chan struct{}

	// journal is what the primary's bindings with outside effects
	// returned while it built the generation, in call order, for the other
	// states to replay (journal.go).
	journal []journalEntry

	localsMu sync.Mutex
	locals   map[any]any // GenerationLocal
	controls controls
}

func (h *Host) build(ctx context.Context, scripts []Script) (*Generation, error) {
	g := &Generation{
		id:      h.genSeq.Add(1),
		host:    h,
		scripts: scripts,
		pool:    newPool(h.opts.PoolSize),
		protos:  map[string]*lua.FunctionProto{},
		ready:   make(chan struct{}),
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
			g.refuse()
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
	puc.SetReplaying(st.L, !primary)
	if err := g.runScripts(ctx, st); err != nil {
		st.close()
		return nil, err
	}
	if err := g.setUp(ctx, st, primary); err != nil {
		st.close()
		return nil, err
	}
	st.building, st.replica = false, false
	puc.SetReplaying(st.L, false)
	st.endCall()
	if primary {
		g.primary.Store(st)
	}
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
// stack. A timeout or the memory limit marks the state broken, as does a Go
// panic in a binding (Func, Method and the host's own functions contain it).
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
// It returns nil when the generation retired meanwhile. When every built
// state is busy it waits for one, while a missing state is built in the
// background (grow): a caller never runs a state's build (the scripts'
// top-level code and init) on its own call.
func (g *Generation) acquire(ctx context.Context) (*state, error) {
	g.inflight.RLock()
	if g.retired.Load() {
		g.inflight.RUnlock()
		return nil, nil
	}
	for {
		if st, idle := g.pool.tryGet(); st != nil {
			if idle == 0 {
				g.grow() // the pool runs low: prebuild a spare
			}
			return st, nil
		}
		g.grow()
		if err := g.unusable(); err != nil {
			g.inflight.RUnlock()
			return nil, err
		}
		select {
		case <-g.pool.wake:
		case <-ctx.Done():
			g.inflight.RUnlock()
			return nil, ctx.Err()
		}
	}
}

// unusable says why no state can come: none is built or busy, and the
// last build failed.
func (g *Generation) unusable() error {
	if g.live.Load() > 0 {
		return nil
	}
	if err := g.buildErr.Load(); err != nil {
		return fmt.Errorf("generation %d has no usable Lua state: %w", g.id, *err)
	}
	return nil
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

// rebuildPause is how long a failed build keeps grow from trying again.
const rebuildPause = time.Second

// grow builds missing states in the background while none is idle, one at
// a time, holding the generation in flight (retire waits for the build).
func (g *Generation) grow() {
	if g.missing.Load() <= 0 || g.pool.idle() > 0 || time.Now().UnixNano() < g.retryAt.Load() {
		return
	}
	if !g.growing.CompareAndSwap(false, true) {
		return
	}
	g.host.goSafe("building a Lua state", func() {
		for {
			g.buildMissing()
			g.growing.Store(false)
			// A state may have gone missing after the loop's last look.
			if g.missing.Load() <= 0 || g.pool.idle() > 0 || time.Now().UnixNano() < g.retryAt.Load() ||
				!g.growing.CompareAndSwap(false, true) {
				return
			}
		}
	})
}

func (g *Generation) buildMissing() {
	g.inflight.RLock()
	defer g.inflight.RUnlock()
	for !g.retired.Load() && g.pool.idle() == 0 && g.claimMissing() {
		st, err := g.newState(context.Background(), false)
		if err != nil {
			g.missing.Add(1)
			g.buildErr.Store(&err)
			g.retryAt.Store(time.Now().Add(rebuildPause).UnixNano())
			g.host.log.Error("building a Lua state failed", "generation", g.id, "error", err)
			g.pool.signal() // waiters see the error when no state is left
			return
		}
		g.buildErr.Store(nil)
		if p := g.primary.Load(); p == nil || p.closed.Load() {
			// The primary broke: this state takes its role
			// (callbacks made while building run there).
			g.primary.CompareAndSwap(p, st)
		}
		g.pool.put(st)
	}
}

// replace closes a broken state and builds a fresh one for the same caller,
// in the middle of a hook chain; nil when that fails (the pool then counts
// it missing). A fresh state replaces the primary in its role.
func (g *Generation) replace(st *state) *state {
	st.close()
	fresh, err := g.newState(context.Background(), false)
	if err != nil {
		g.missing.Add(1)
		g.grow()
		g.host.log.Error("rebuilding a Lua state failed", "generation", g.id, "error", err)
		return nil
	}
	g.primary.CompareAndSwap(st, fresh)
	return fresh
}

// release ends a call: what bindings asked to run after each call runs
// (locks still held are released), and the state goes back to the pool. A
// broken state is closed and rebuilt in the background; a state due a
// collection is handed to a collector first, after the caller has its
// result.
func (g *Generation) release(st *state) {
	if st == nil {
		g.inflight.RUnlock()
		return
	}
	st.script = ""
	st.L.SetTop(0)
	st.endCall()
	switch {
	case st.broken:
		g.discard(st)
	case st.collectDue():
		// The collector holds the generation in flight until the state
		// is back in the pool.
		g.host.goSafe("collecting garbage in a Lua state", func() {
			defer g.inflight.RUnlock()
			st.collect()
			if st.broken {
				g.discard(st)
				return
			}
			g.pool.put(st)
		})
		return
	default:
		g.pool.put(st)
	}
	g.inflight.RUnlock()
}

// discard closes a broken state; a fresh one is built in the background.
func (g *Generation) discard(st *state) {
	st.close()
	g.missing.Add(1)
	g.grow()
}

// retire stops a generation once its in-flight calls are done: deinit,
// then what its scripts left running (timers, controls), then its states.
func (g *Generation) retire() {
	g.inflight.Lock()
	g.retired.Store(true)
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

// goSafe runs f in a goroutine of its own; a panic there is logged rather
// than ending the process.
func (h *Host) goSafe(what string, f func()) { SafeGo(h.log, what, f) }

// SafeGo runs f in a goroutine of its own, logging a panic (with its
// stack) as a failure of what instead of ending the process: for the
// goroutines bindings start (timers, refreshers, thread-pool jobs).
func SafeGo(log *slog.Logger, what string, f func()) {
	go func() {
		defer LogPanic(log, what)
		f()
	}()
}

// LogPanic, deferred at the top of a goroutine (a time.AfterFunc's
// function), logs a panic as a failure of what instead of letting it end
// the process.
func LogPanic(log *slog.Logger, what string) {
	if r := recover(); r != nil {
		log.Error(what+" panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	}
}

func (h *Host) emitPrint(script, line string) {
	if h.log.Enabled(context.Background(), slog.LevelInfo) {
		h.log.Info(line, "script", script, "source", "print")
	}
	if h.services.Print != nil {
		h.services.Print(script, line)
	}
}
