package luahost

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/dialect"
	"msyshost/luahost/puc"
)

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
	// idle or every state is a session's home (homes.go). live counts the
	// states being built or built and not closed.
	missing  atomic.Int32
	live     atomic.Int32
	growing  atomic.Bool
	buildErr atomic.Pointer[error] // the last build's failure; nil after a success
	retryAt  atomic.Int64          // unix nanoseconds before which grow does not build
	// homeMu guards built, every state built and not closed, each
	// state's homed count and homesCh, closed when built changes
	// (homes.go).
	homeMu  sync.Mutex
	built   []*state
	homesCh chan struct{}
	// sessMu guards the sessions pinned to the generation; a draining
	// generation takes no new one and closes drained when the last ends.
	sessMu   sync.Mutex
	sessions int
	draining bool
	drained  chan struct{}

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
