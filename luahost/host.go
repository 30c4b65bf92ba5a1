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
	"log/slog"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"msyshost/luahost/dialect"
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
	// closing is closed by Close: a reload's old generation stops waiting
	// for its sessions.
	closing      chan struct{}
	sessionDrain atomic.Int64 // SetSessionDrain

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
	h := &Host{opts: opts, services: svc, log: svc.Logger, watchdog: newWatchdog(opts.MemoryLimit), closing: make(chan struct{})}
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
			old.drain(h.drainBound(), h.closing)
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
	h.stopJobs()
	if g != nil {
		g.drain(0, nil)
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

func (h *Host) emitPrint(script, line string) {
	if h.log.Enabled(context.Background(), slog.LevelInfo) {
		// print separates its arguments with tabs, which a log line
		// quotes as \t: a space reads, and copies, as what was meant.
		h.log.Info(strings.ReplaceAll(line, "\t", " "), "script", script, "source", "print")
	}
	if h.services.Print != nil {
		h.services.Print(script, line)
	}
}
