// Package process is the one assembly of msyshost: from a config it builds
// the message store, the Lua host, the retry core, the console and every
// registered component (channels, spool, listeners), starts them in order
// and stops them in reverse. `msyshost run` and `msyshost test` both build
// through Build, so a scenario exercises the production wiring; a scenario
// swaps only the clock, the data directory and the network peers (a
// recording outbox instead of the spool).
package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"msyshost/lib/channel"
	"msyshost/lib/config"
	"msyshost/lib/console"
	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
	"msyshost/lib/mstore/riak"
	"msyshost/lib/msys"
	"msyshost/lib/msys/audit"
	"msyshost/lib/msys/core"
	"msyshost/lib/msys/datasource"
	"msyshost/lib/msys/dnslookup"
	msgbind "msyshost/lib/msys/extended/message"
	msysmstore "msyshost/lib/msys/mstore"
	// Every Lua module msyshost has: the host opens them all in every state.
	_ "msyshost/lib/msys"
	"msyshost/lib/retry"
	"msyshost/lib/spool"
	"msyshost/luahost"
)

// Mode says what the process is for.
type Mode int

const (
	// Daemon is `msyshost run`: network listeners, the control socket,
	// file watching.
	Daemon Mode = iota
	// Scenario is `msyshost test`: no listeners of its own; the runner
	// drives the process through its methods.
	Scenario
)

// Options configure Build.
type Options struct {
	Mode Mode
	// ConfigFile is read with its includes; `config reload` reads it
	// again. Config, when set instead, is used as it is (a scenario's
	// fragment) and reload keeps it.
	ConfigFile string
	Config     *config.Config
	// Lenient turns unknown options and scopes into warnings.
	Lenient bool
	// AllowBrokenScripts starts without a script that does not compile,
	// instead of refusing to start.
	AllowBrokenScripts bool
	// DataDir overrides the config's Data_Directory.
	DataDir string
	Logger  *slog.Logger
	// Now is the clock of the store, the host and the retry core; nil is
	// time.Now.
	Now func() time.Time
	// SearchPath lists folders for script sources and require, after the
	// config file's own folder.
	SearchPath []string
	// Scripts are loaded before the config's script stanzas (a scenario's
	// `scripts:`).
	Scripts []luahost.Script
	// Print receives each line a script prints, besides the log (info
	// level, the line as the message, source=print).
	Print func(script, line string)
	// OnHook observes every hook dispatch and its result.
	OnHook func(hook string, args []any, res luahost.Result)
	// Outbox receives injections and bounces until a spool component
	// installs itself (scenarios keep it: nothing leaves the process).
	Outbox interface {
		spool.Injector
		spool.Bouncer
	}
	// ParkTimeout is the retry core's (see retry.Core).
	ParkTimeout time.Duration
	// SweepInterval is the embedded store's; negative sweeps only when
	// asked (a scenario's clock moves in steps).
	SweepInterval time.Duration
	// CallTimeout overrides scriptlet's call_timeout.
	CallTimeout time.Duration
	// Version is printed by the console's version command.
	Version string
	// Shutdown is called by the console's shutdown command.
	Shutdown func()
	// Peers, in Scenario mode, names the network peers a scenario talks
	// to over real sockets ("smsc", "mmsc"): each maps to the address of
	// a peer outside the process, or to "" for the simulator the config
	// describes, started on a free loopback port. A scenario without
	// Peers reaches no network. The daemon ignores it: it starts what its
	// config says.
	Peers map[string]string
}

// Process is msyshost assembled from one config.
type Process struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	cfg     atomic.Pointer[config.Config]
	built   *config.Config // the config the process was built from
	dataDir string

	Store   mstore.Store
	Host    *luahost.Host
	Retry   *retry.Core
	Console *console.Console
	// Auditor is inbound_audit's counts for msys.audit, nil when the
	// config has no inbound_audit scope; the SMTP listener records into it.
	Auditor *audit.Auditor

	spoolMu  sync.RWMutex
	injector spool.Injector
	bouncer  spool.Bouncer

	channelsMu sync.RWMutex
	channels   map[string]channel.Channel

	scripts     *scriptSet
	stopProbe   context.CancelFunc // ends the probing of an unreachable Riak
	reloadMu    sync.Mutex         // one reload at a time: watcher, console, SIGHUP
	resync      chan struct{}      // a reload happened: the watcher looks at the files again
	components  []Component
	started     int
	datasources *datasource.Pool

	peersMu   sync.RWMutex
	peerAddrs map[string]string // configured address → where it is served
}

// Build assembles a process from opts. Nothing listens until Start.
func Build(ctx context.Context, opts Options) (_ *Process, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	p := &Process{opts: opts, log: log, now: now, channels: map[string]channel.Channel{}, resync: make(chan struct{}, 1)}
	defer func() {
		if err != nil {
			p.closeUnstarted(p.started)
			p.closeCore()
		}
	}()
	cfg, err := p.readConfig()
	if err == nil {
		err = runChecks(cfg, nil)
	}
	if err != nil {
		return nil, err
	}
	p.cfg.Store(cfg)
	p.built = cfg
	if p.dataDir, err = p.prepareDataDir(cfg); err != nil {
		return nil, err
	}
	if opts.Mode == Daemon {
		// A second daemon on the same socket says so before it waits for
		// the first one's locked store.
		paths, err := controlPaths(cfg, p.dataDir)
		if err != nil {
			return nil, err
		}
		for _, path := range paths {
			if err := console.CheckFree(path); err != nil {
				return nil, err
			}
		}
	}
	if p.Store, err = p.openStore(ctx, cfg); err != nil {
		return nil, err
	}
	if opts.Outbox != nil {
		p.injector, p.bouncer = opts.Outbox, opts.Outbox
	}
	sc := cfg.Scriptlet()
	callTimeout := opts.CallTimeout
	if callTimeout == 0 {
		callTimeout = sc.CallTimeout
	}
	p.scripts = newScriptSet(p, opts.Scripts)
	svc := &luahost.Services{Logger: log, Now: now, Print: opts.Print}
	msysmstore.Store.Set(svc, p.Store)
	core.Injector.Set(svc, p)
	dnslookup.Config.Set(svc, dnslookup.ResolvConf(
		func() string { return config.ResolvConf.String(p.Config(), config.Scope{}) },
		func() bool { b, _ := config.DNSFallbackToTCP.Bool(p.Config(), config.Scope{}); return b }))
	p.datasources = datasource.NewPool(p.Config, p.dataDir, log, now)
	datasource.Datasources.Set(svc, p.datasources)
	msys.Config.Set(svc, p.Config)
	msgbind.Config.Set(svc, p.Config)
	if monitors, ok := cfg.InboundAudit(); ok {
		var ms []audit.Monitor
		for _, s := range monitors {
			m, err := audit.ParseMonitor(s)
			if err != nil {
				return nil, fmt.Errorf("inbound_audit: %w", err)
			}
			ms = append(ms, m)
		}
		p.Auditor = audit.NewAuditor(now, ms...)
		audit.Source.Set(svc, p.Auditor)
	}
	pools, err := cfg.ThreadPools()
	if err != nil {
		return nil, err
	}
	p.Host = luahost.New(luahost.Options{
		PoolSize:    sc.PoolSize,
		CallTimeout: callTimeout,
		SearchPath:  p.scripts.searchPath(),
		ThreadPools: pools,
	}, svc)
	if err := p.scripts.loadInitial(ctx, cfg); err != nil {
		return nil, err
	}
	p.Retry = &retry.Core{Store: p.Store, Hooks: p, Bouncer: p, Log: log, Now: now, ParkTimeout: opts.ParkTimeout}
	p.Console = console.New()
	p.addConsoleCommands()
	for _, f := range registered() {
		cs, err := f.fn(p)
		if err != nil {
			return nil, fmt.Errorf("building %s: %w", f.name, err)
		}
		p.components = append(p.components, cs...)
	}
	return p, nil
}

func (p *Process) readConfig() (*config.Config, error) {
	cfg := p.opts.Config
	if cfg == nil {
		if p.opts.ConfigFile == "" {
			return nil, errors.New("no config: give a config file")
		}
		var err error
		if cfg, err = config.Load(p.opts.ConfigFile); err != nil {
			return nil, fmt.Errorf("reading config: %w", err)
		}
	}
	warnings, err := cfg.Check(p.opts.Lenient)
	for _, w := range warnings {
		p.log.Warn("config: ignored (--lenient)", "problem", w.Error())
	}
	if err != nil {
		return nil, err
	}
	if _, err := cfg.Mstore(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// prepareDataDir creates the data directory and proves it writable, so a
// read-only or missing folder is one clear line at start rather than a
// failure at the first message.
func (p *Process) prepareDataDir(cfg *config.Config) (string, error) {
	dir := p.opts.DataDir
	if dir == "" {
		dir = config.DataDirectory.String(cfg, config.Scope{})
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("data directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".writable-*")
	if err != nil {
		return "", fmt.Errorf("data directory %s is not writable: %w", dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return dir, nil
}

func (p *Process) openStore(ctx context.Context, cfg *config.Config) (mstore.Store, error) {
	ms, err := cfg.Mstore()
	if err != nil {
		return nil, err
	}
	if ms.Embedded() {
		path := ms.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(p.dataDir, path)
		}
		s, err := embedded.Open(path, embedded.Options{
			Retention: ms.Retention, Now: p.now, Logger: p.log, SweepInterval: p.opts.SweepInterval,
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	servers := make([]string, len(ms.Servers))
	for i, s := range ms.Servers {
		servers[i] = s.String()
	}
	s, err := riak.Open(servers, riak.Options{Retention: ms.Retention, Now: p.now, Logger: p.log,
		Timeout: ms.Timeout, ConnectTimeout: ms.ConnectTimeout, TransferRate: ms.TransferRate})
	if err != nil {
		return nil, err
	}
	p.probeRiak(ctx, s, servers)
	return s, nil
}

// probeRiak asks the cluster for a key that does not exist: not-found means
// it answers. When it does not, the daemon says so at start and keeps
// probing until it does; submissions meanwhile fail as temporary, so the
// spool keeps them. The embedded store never stands in.
func (p *Process) probeRiak(ctx context.Context, s mstore.Store, servers []string) {
	probe := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := s.Load(ctx, mstore.Key{Bucket: "msyshost-probe", ID: "probe"})
		if errors.Is(err, mstore.ErrNotFound) {
			return nil
		}
		return err
	}
	err := probe(ctx)
	if err == nil {
		return
	}
	p.log.Error("riak mstore cannot be reached; retrying every 5s (messages wait in the spool meanwhile)",
		"servers", servers, "error", err)
	pctx, stop := context.WithCancel(context.Background())
	p.stopProbe = stop
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
			}
			if err := probe(pctx); err == nil {
				p.log.Info("riak mstore reachable", "servers", servers)
				return
			}
		}
	}()
}

// Config returns the config in force; a reload replaces it, so read it per
// message rather than keeping it.
func (p *Process) Config() *config.Config { return p.cfg.Load() }

// Mode returns what the process was built for.
func (p *Process) Mode() Mode { return p.opts.Mode }

// DataDir returns the data directory.
func (p *Process) DataDir() string { return p.dataDir }

// Logger returns the process logger.
func (p *Process) Logger() *slog.Logger { return p.log }

// Now returns the process clock's time.
func (p *Process) Now() time.Time { return p.now() }

// AddChannel makes a delivery method available to the router; StageChannel
// factories call it. A second channel of the same method panics.
func (p *Process) AddChannel(method string, ch channel.Channel) {
	p.channelsMu.Lock()
	defer p.channelsMu.Unlock()
	if _, dup := p.channels[method]; dup {
		panic("process: delivery method " + method + " added twice")
	}
	p.channels[method] = ch
}

// Channel returns the channel of a delivery method.
func (p *Process) Channel(method string) (channel.Channel, bool) {
	p.channelsMu.RLock()
	defer p.channelsMu.RUnlock()
	ch, ok := p.channels[method]
	return ch, ok
}

// Peer says whether the process talks to the named network peer ("smsc",
// "mmsc"): always in the daemon; in a scenario when Options.Peers names
// it. addr is the address of a peer outside the process the scenario was
// given instead of its configured simulator, "" for none.
func (p *Process) Peer(name string) (addr string, wanted bool) {
	if p.opts.Mode == Daemon {
		return "", true
	}
	addr, wanted = p.opts.Peers[name]
	return addr, wanted
}

// SetPeerAddr sends connections meant for the configured address to
// actual: a scenario's simulator listening on a free port, or a peer
// outside the process. Simulators call it from Start, before the channels
// (a later stage) connect.
func (p *Process) SetPeerAddr(configured, actual string) {
	p.peersMu.Lock()
	defer p.peersMu.Unlock()
	if p.peerAddrs == nil {
		p.peerAddrs = map[string]string{}
	}
	p.peerAddrs[configured] = actual
}

// PeerAddr returns where a connection to the configured address goes:
// the address itself unless SetPeerAddr moved it. Channels call it each
// time they connect.
func (p *Process) PeerAddr(configured string) string {
	p.peersMu.RLock()
	defer p.peersMu.RUnlock()
	if a, ok := p.peerAddrs[configured]; ok {
		return a
	}
	return configured
}

// SetSpool makes inj and b receive every injection and bounce from now on
// (msg:inject, msys.mstore.inject, mstore reinstate, the retry core's
// bounces); the spool calls it when it is built.
func (p *Process) SetSpool(inj spool.Injector, b spool.Bouncer) {
	p.spoolMu.Lock()
	defer p.spoolMu.Unlock()
	p.injector, p.bouncer = inj, b
}

// Inject hands m to the spool.
func (p *Process) Inject(ctx context.Context, m *message.Message) error {
	inj, _ := p.spoolTargets()
	if inj == nil {
		return errors.New("no spool: the message cannot be queued")
	}
	return inj.Inject(ctx, m)
}

// Bounce hands a bounce to the spool.
func (p *Process) Bounce(ctx context.Context, b spool.Bounce) error {
	_, bn := p.spoolTargets()
	if bn == nil {
		return errors.New("no spool: the bounce cannot be queued")
	}
	return bn.Bounce(ctx, b)
}

func (p *Process) spoolTargets() (spool.Injector, spool.Bouncer) {
	p.spoolMu.RLock()
	defer p.spoolMu.RUnlock()
	return p.injector, p.bouncer
}

// Dispatch runs a hook through the Lua host; it is the retry core's Hooks.
func (p *Process) Dispatch(ctx context.Context, hook string, args ...any) int {
	res := p.Host.Call(ctx, hook, args...)
	p.Observe(hook, args, res)
	return res.Code
}

// Observe reports a hook dispatch made by a component that calls the host
// itself (SMTP reception's sessions) to Options.OnHook.
func (p *Process) Observe(hook string, args []any, res luahost.Result) {
	if p.opts.OnHook != nil {
		p.opts.OnHook(hook, args, res)
	}
}

// Components returns the built components, in start order.
func (p *Process) Components() []Component { return append([]Component(nil), p.components...) }

// Start starts every component in order. When one fails, those started
// are stopped again and the error names the one that failed.
func (p *Process) Start(ctx context.Context) error {
	for _, c := range p.components {
		if err := c.Start(ctx); err != nil {
			unstarted := p.started
			p.stopComponents(ctx)
			p.closeUnstarted(unstarted)
			return fmt.Errorf("starting %s: %w", c.Name(), err)
		}
		p.started++
	}
	return nil
}

// Listeners lists what the started components listen on.
func (p *Process) Listeners() []string {
	var out []string
	for _, c := range p.components {
		if l, ok := c.(Listener); ok {
			out = append(out, l.Listeners()...)
		}
	}
	return out
}

// Stop stops the components in reverse order, lets hook calls in flight
// finish, and closes the store. ctx bounds the wait; what is still running
// when it ends is abandoned and reported.
func (p *Process) Stop(ctx context.Context) error {
	errs := p.stopComponents(ctx)
	done := make(chan struct{})
	go func() {
		p.closeCore()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("hook calls still running at shutdown: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

// closeUnstarted releases what the components from index from on, which
// never started, took when they were built.
func (p *Process) closeUnstarted(from int) {
	for _, c := range p.components[from:] {
		if cl, ok := c.(Closer); ok {
			if err := cl.Close(); err != nil {
				p.log.Error("releasing a component that did not start", "component", c.Name(), "error", err)
			}
		}
	}
}

// stopComponents stops the started components in reverse order. Each may
// use what is left of ctx but a reserve for those after it, so one that
// waits long (a listener finishing its clients' messages) still leaves the
// spool time to record the deliveries under way.
func (p *Process) stopComponents(ctx context.Context) []error {
	var errs []error
	for i := p.started - 1; i >= 0; i-- {
		c := p.components[i]
		cctx, cancel := stopBudget(ctx, i)
		if err := c.Stop(cctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping %s: %w", c.Name(), err))
		}
		cancel()
	}
	p.started = 0
	return errs
}

// stopReserve is the most of the stop budget kept for each component
// still to stop.
const stopReserve = 2 * time.Second

// stopBudget is ctx less a reserve for later components still to stop:
// each keeps a share of what is left, at most stopReserve.
func stopBudget(ctx context.Context, later int) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok || later == 0 {
		return context.WithCancel(ctx)
	}
	share := min(time.Until(dl)/time.Duration(2*(later+1)), stopReserve)
	return context.WithDeadline(ctx, dl.Add(-share*time.Duration(later)))
}

func (p *Process) closeCore() {
	if p.stopProbe != nil {
		p.stopProbe()
	}
	if p.Host != nil {
		p.Host.Close()
	}
	if p.datasources != nil {
		if err := p.datasources.Close(); err != nil {
			p.log.Error("closing datasources", "error", err)
		}
	}
	if p.Store != nil {
		if err := p.Store.Close(); err != nil {
			p.log.Error("closing mstore", "error", err)
		}
	}
}

// StoreInfo describes the message store for the start log line.
func (p *Process) StoreInfo() string {
	ms, _ := p.Config().Mstore()
	if ms.Embedded() {
		path := ms.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(p.dataDir, path)
		}
		return "embedded " + path
	}
	var servers []string
	for _, s := range ms.Servers {
		servers = append(servers, s.String())
	}
	return "riak " + strings.Join(servers, " ")
}
