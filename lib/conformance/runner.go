package conformance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"msyshost/lib/clock"
	"msyshost/lib/config"
	"msyshost/lib/hook"
	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/process"
	"msyshost/lib/spool"
	"msyshost/luahost"
)

// Options configure a run.
type Options struct {
	// SearchPath is added after the scenario's own folder for script
	// sources and require.
	SearchPath []string
	// Logger receives the host's logs; nil discards them.
	Logger *slog.Logger
	// CallTimeout bounds each hook call; zero is the host default.
	CallTimeout time.Duration
	// Peers gives the address of a peer outside the process to use
	// instead of the configured simulator, by name ("smsc" →
	// "10.0.0.5:2775"), in the scenarios that name that peer.
	Peers map[string]string
}

// AwaitLimit bounds how long a step of a scenario with peers waits for
// its expectations: receipts arrive when the peer sends them.
const AwaitLimit = 10 * time.Second

// Result is the outcome of one scenario.
type Result struct {
	Scenario *Scenario
	Failures []string // empty when it passed
	Duration time.Duration
	Printed  []string // every line scripts printed, for reports
	// Files are what the scenario depends on: its own file, the scripts
	// and every module they required.
	Files []string
}

// Passed reports whether every step held.
func (r *Result) Passed() bool { return len(r.Failures) == 0 }

// Start is the scenario clock's starting time: fixed, so get_now_ts and
// stored times are the same on every run.
var Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// run holds one scenario's process and what the current step observed.
type run struct {
	s     *Scenario
	opts  Options
	dir   string
	clock *clock.Manual
	rec   *spool.Recorder
	p     *process.Process

	mu      sync.Mutex
	printed []string
	calls   []call
	all     []string
	logged  []string          // the host's log lines this step
	msgid   string            // the last id a submission was stored under: {msgid}
	search  []string          // the scenario's search path, before the overlay
	copies  map[string]string // script file → its copy changed by write steps
}

type call struct {
	luahost.HookCall
	args []string
}

// observe records hook calls for the step's expectations.
func (r *run) observe(hook string, args []any, res luahost.Result) {
	strs := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			strs[i] = v
		case *message.Message:
			strs[i] = "msg"
		case map[string]string:
			strs[i] = "trx"
		default:
			strs[i] = fmt.Sprint(v)
		}
	}
	r.mu.Lock()
	for _, c := range res.Calls {
		r.calls = append(r.calls, call{HookCall: c, args: strs})
	}
	if (hook == "smpp_store_submit" || hook == "mm7_store_submit_hook") && len(strs) == 3 {
		r.msgid = strs[2]
	}
	r.mu.Unlock()
}

// files lists what the run depended on, for `msyshost test --watch`.
func (r *run) files() []string {
	out := []string{r.s.File}
	for _, p := range r.s.Scripts {
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(r.s.File), p)
		}
		out = append(out, p)
	}
	if r.p != nil {
		out = append(out, r.p.Host.Files()...)
		for _, st := range r.p.ScriptStatus() {
			out = append(out, st.File)
		}
	}
	// A write step's copy stands for the original.
	for orig := range r.copies {
		out = append(out, orig)
	}
	return out
}

func (r *run) print(script, line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.printed = append(r.printed, line)
	r.all = append(r.all, script+": "+line)
}

// Run runs one scenario against a fresh host.
func Run(ctx context.Context, s *Scenario, opts Options) *Result {
	start := time.Now()
	res := &Result{Scenario: s}
	r, err := setup(ctx, s, opts)
	if r != nil {
		defer r.close()
	}
	if err != nil {
		res.Failures = append(res.Failures, "setup: "+err.Error())
		res.Duration = time.Since(start)
		if r != nil {
			// --watch reruns it when a script is fixed.
			res.Files, res.Printed = r.files(), r.all
		}
		if s.FailsWith != "" {
			res.Failures = invert(s.FailsWith, res.Failures)
		}
		return res
	}
	for i, st := range s.Steps {
		if fails := r.step(ctx, st); len(fails) > 0 {
			for _, f := range fails {
				res.Failures = append(res.Failures, fmt.Sprintf("step %d (%s, line %d): %s", i+1, st.Kind, st.Line, f))
			}
			break
		}
	}
	res.Printed = r.all
	res.Files = r.files()
	res.Duration = time.Since(start)
	if s.FailsWith != "" {
		res.Failures = invert(s.FailsWith, res.Failures)
	}
	return res
}

// invert judges a scenario that must fail: it passes when some failure
// contains want.
func invert(want string, failures []string) []string {
	if len(failures) == 0 {
		return []string{fmt.Sprintf("expected a failure containing %q, but every step held", want)}
	}
	for _, f := range failures {
		if strings.Contains(f, want) {
			return nil
		}
	}
	return []string{fmt.Sprintf("expected a failure containing %q, got: %s", want, show(failures))}
}

func setup(ctx context.Context, s *Scenario, opts Options) (*run, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp("", "msyshost-scenario-")
	if err != nil {
		return nil, err
	}
	r := &run{s: s, opts: opts, dir: dir, clock: clock.New(Start), rec: &spool.Recorder{}, copies: map[string]string{}}
	log = slog.New(&logTap{next: log.Handler(), r: r})
	var peers map[string]string
	// Steps run one after another: without peers a receipt never
	// overtakes a save, so receipts for unknown messages need not wait.
	park := time.Duration(-1)
	if len(s.Peers) > 0 {
		peers = map[string]string{}
		for _, name := range s.Peers {
			peers[name] = opts.Peers[name]
		}
		r.clock.Run()
		park = 0 // the retry core's default
	}
	cfg, err := config.Parse(s.File+" (config)", []byte(s.Config))
	if err != nil {
		return r, err
	}
	ms, err := cfg.Mstore()
	if err != nil {
		return r, err
	}
	if !ms.Embedded() {
		return r, errors.New("scenarios run on the embedded store; remove mstore servers from the config")
	}
	base := filepath.Dir(s.File)
	r.search = append([]string{base}, opts.SearchPath...)
	var scripts []luahost.Script
	for _, p := range s.Scripts {
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		scripts = append(scripts, luahost.Script{Name: strings.TrimSuffix(filepath.Base(p), ".lua"), Path: p})
	}
	r.p, err = process.Build(ctx, process.Options{
		Mode:    process.Scenario,
		Config:  cfg,
		DataDir: dir,
		Logger:  log,
		Now:     r.clock.Now,
		// write steps put their copies in the overlay, which shadows the
		// files they replace for require and script sources.
		SearchPath:    append([]string{r.overlay()}, r.search...),
		Scripts:       scripts,
		Print:         r.print,
		OnHook:        r.observe,
		Outbox:        r.rec,
		CallTimeout:   opts.CallTimeout,
		ParkTimeout:   park,
		SweepInterval: -1,
		Peers:         peers,
	})
	if err != nil {
		return r, err
	}
	if err := r.p.Start(ctx); err != nil {
		return r, err
	}
	// What setup printed or logged belongs to no step.
	r.printed, r.logged = nil, nil
	return r, nil
}

func (r *run) close() {
	if r.p != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r.p.Stop(ctx)
		cancel()
	}
	os.RemoveAll(r.dir)
}

// step runs one step and checks its expectations.
func (r *run) step(ctx context.Context, st Step) []string {
	r.mu.Lock()
	r.printed, r.calls, r.logged = nil, nil, nil
	r.mu.Unlock()
	var (
		output string
		err    error
		hint   string
		fails  []string
	)
	switch st.Kind {
	case "smtp":
		fails, err = r.smtp(ctx, st.SMTP)
	case "submit":
		hint, err = r.submit(ctx, st.Submit)
	case "receipt":
		err = r.receipt(ctx, st.Receipt)
	case "deliver":
		err = r.deliver(ctx, st.Deliver)
	case "console":
		output, err = r.p.Console.Exec(ctx, r.expand(st.Console))
	case "advance":
		r.clock.Advance(st.Advance)
		if sw, ok := r.p.Store.(mstore.Sweeper); ok {
			_, err = sw.Sweep(ctx)
		}
	case "lua":
		err = r.p.Host.Run(ctx, "lua step", st.Lua)
	case "write":
		err = r.write(ctx, st.Write)
	}
	e := st.Expect
	if e == nil {
		e = &Expect{}
	}
	switch {
	case e.Error != nil && err == nil:
		fails = append(fails, fmt.Sprintf("expected an error containing %q, got none", *e.Error))
	case e.Error != nil && !strings.Contains(err.Error(), *e.Error):
		fails = append(fails, fmt.Sprintf("error %q does not contain %q", err, *e.Error))
	case e.Error == nil && err != nil:
		fails = append(fails, "unexpected error: "+err.Error())
	}
	// With peers, what the network brings (receipts and what their hooks
	// do) arrives on its own: the step's expectations are awaited.
	var seen observed
	deadline := time.Now().Add(AwaitLimit)
	for {
		checks := r.check(ctx, e, output, hint, &seen)
		if len(checks) == 0 || len(r.s.Peers) == 0 || time.Now().After(deadline) {
			return append(fails, checks...)
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return append(append(fails, checks...), ctx.Err().Error())
		}
	}
}

// observed accumulates a step's injections and bounces while its
// expectations are awaited.
type observed struct {
	injected []*message.Message
	bounces  []spool.Bounce
	queued   []*message.Message
}

// expand replaces {msgid} with the id the last submission was stored
// under: with peers, the SMSC or MMSC chooses it.
func (r *run) expand(s string) string {
	if !strings.Contains(s, "{msgid}") {
		return s
	}
	r.mu.Lock()
	id := r.msgid
	r.mu.Unlock()
	return strings.ReplaceAll(s, "{msgid}", id)
}

func (r *run) expandAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = r.expand(s)
	}
	return out
}

func (r *run) check(ctx context.Context, e *Expect, output, hint string, seen *observed) []string {
	var fails []string
	r.mu.Lock()
	calls, printed, logged := r.calls, r.printed, r.logged
	r.mu.Unlock()
	inj, bn := r.rec.Take()
	seen.injected = append(seen.injected, inj...)
	seen.bounces = append(seen.bounces, bn...)
	injected, bounces := seen.injected, seen.bounces
	if srv, err := r.smtpServer(); err == nil {
		seen.queued = append(seen.queued, srv.Queued()...)
	}
	if e.Queued != nil {
		fails = append(fails, checkQueued(*e.Queued, seen.queued)...)
	}
	for _, want := range e.Logged {
		if !containsAny(logged, want) {
			fails = append(fails, fmt.Sprintf("logged: no log line contains %q; logged: %s", want, show(logged)))
		}
	}
	if e.Hooks != nil {
		want := append([]HookExpect(nil), *e.Hooks...)
		for i := range want {
			if want[i].Args != nil {
				want[i].Args = r.expandAll(want[i].Args)
			}
		}
		fails = append(fails, checkHooks(want, calls)...)
	}
	for _, k := range r.expandAll(e.Stored) {
		if err := r.present(ctx, k); err != nil {
			fails = append(fails, fmt.Sprintf("stored: %s: %v%s", k, err, hint))
		}
	}
	for _, k := range r.expandAll(e.Absent) {
		if err := r.present(ctx, k); err == nil {
			fails = append(fails, fmt.Sprintf("absent: %s is still stored", k))
		} else if !errors.Is(err, mstore.ErrNotFound) {
			fails = append(fails, fmt.Sprintf("absent: %s: %v", k, err))
		}
	}
	if e.Injected != nil {
		var got, want []string
		for _, m := range injected {
			got = append(got, m.MailFrom+" -> "+m.RcptTo)
		}
		for _, env := range *e.Injected {
			want = append(want, env.From+" -> "+env.To)
		}
		if !sameSet(got, want) {
			fails = append(fails, fmt.Sprintf("injected %s, want %s", show(got), show(want)))
		}
	}
	if e.Bounces != nil {
		var got []string
		for _, b := range bounces {
			got = append(got, b.To)
		}
		if !sameSet(got, *e.Bounces) {
			fails = append(fails, fmt.Sprintf("bounces to %s, want %s", show(got), show(*e.Bounces)))
		}
	}
	for _, want := range r.expandAll(e.Log) {
		if !containsAny(printed, want) {
			fails = append(fails, fmt.Sprintf("log: no printed line contains %q; printed: %s", want, show(printed)))
		}
	}
	for _, want := range r.expandAll(e.Output) {
		if !strings.Contains(output, want) {
			fails = append(fails, fmt.Sprintf("output does not contain %q; output was:\n%s", want, output))
		}
	}
	return fails
}

func (r *run) present(ctx context.Context, k string) error {
	i := strings.Index(k, "/")
	if i < 0 {
		return fmt.Errorf("key %q is not BUCKET/MSGID", k)
	}
	_, err := r.p.Store.Load(ctx, mstore.Key{Bucket: k[:i], ID: k[i+1:]})
	return err
}

func checkHooks(want []HookExpect, got []call) []string {
	var fails []string
	describe := func(c call) string {
		ret := c.Returned.String()
		if n, err := strconv.Atoi(ret); err == nil && hook.CodeName(c.Hook, n) != "" {
			ret += " (" + hook.CodeName(c.Hook, n) + ")"
		}
		s := fmt.Sprintf("%s(%s) by %s returned %s", c.Hook, strings.Join(c.args, ", "), c.Module, ret)
		if c.Err != "" {
			s += " [" + c.Err + "]"
		}
		return s
	}
	var gotDesc []string
	for _, c := range got {
		gotDesc = append(gotDesc, describe(c))
	}
	if len(want) != len(got) {
		return []string{fmt.Sprintf("hooks: %d calls, want %d; calls were %s", len(got), len(want), show(gotDesc))}
	}
	for i, w := range want {
		c := got[i]
		switch {
		case w.Name != c.Hook:
			fails = append(fails, fmt.Sprintf("hooks[%d]: called %s, want %s", i, describe(c), w.Name))
		case w.Module != "" && w.Module != c.Module:
			fails = append(fails, fmt.Sprintf("hooks[%d]: %s ran in module %s, want %s", i, c.Hook, c.Module, w.Module))
		case w.Returned != nil && (c.Err != "" || float64(c.Code) != *w.Returned || c.Returned.Type().String() != "number"):
			want := fmt.Sprint(*w.Returned)
			if name := hook.CodeName(c.Hook, int(*w.Returned)); name != "" && float64(int(*w.Returned)) == *w.Returned {
				want += " (" + name + ")"
			}
			fails = append(fails, fmt.Sprintf("hooks[%d]: %s, want it to return %s", i, describe(c), want))
		case w.Args != nil && strings.Join(w.Args, "\x00") != strings.Join(c.args, "\x00"):
			fails = append(fails, fmt.Sprintf("hooks[%d]: %s, want args %s", i, describe(c), show(w.Args)))
		}
	}
	return fails
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func containsAny(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func show(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	return "[" + strings.Join(list, "; ") + "]"
}
