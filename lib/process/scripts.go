package process

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"msyshost/lib/config"
	"msyshost/luahost"
)

// ScriptStatus is what `scriptlet status` says of one script.
type ScriptStatus struct {
	Name       string
	File       string
	Source     string    // the module name a script stanza gave; "" for a file named directly
	Generation int64     // the generation serving its code; 0 when none has
	LoadedAt   time.Time // when that generation was built
	Err        string    // the last failed load's error for this script, with file:line
	ErrAt      time.Time
}

// scriptSet is the process's view of its scripts: which to load, where they
// resolve, and how each one's last load went. Loads are serialised: the
// watcher, the console and SIGHUP may ask at once.
type scriptSet struct {
	p     *Process
	extra []luahost.Script

	mu       sync.Mutex
	replaced map[string]string // a script's file → the copy that stands for it
	status   map[string]*ScriptStatus
	order    []string // status keys in load order
	lastErr  string   // the last failed load's error, once per distinct error
}

func newScriptSet(p *Process, extra []luahost.Script) *scriptSet {
	return &scriptSet{p: p, extra: extra, replaced: map[string]string{}, status: map[string]*ScriptStatus{}}
}

// searchPath is where sources and require resolve: the config file's own
// folder first, so a migrator's module shadows a shipped one of the same
// name, then the caller's folders (the shipped scriptlets).
func (s *scriptSet) searchPath() []string {
	var path []string
	if f := s.p.opts.ConfigFile; f != "" {
		dir := filepath.Dir(f)
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		path = append(path, dir)
	}
	return append(path, s.p.opts.SearchPath...)
}

// resolve lists the scripts of cfg in load order: the extra ones, then the
// config's script stanzas resolved on the search path.
func (s *scriptSet) resolve(cfg *config.Config) ([]luahost.Script, error) {
	var out []luahost.Script
	for _, sc := range s.extra {
		if cp, ok := s.replaced[filepath.Clean(sc.Path)]; ok {
			sc.Path = cp
		}
		out = append(out, sc)
	}
	for _, cs := range cfg.Scripts() {
		path, err := s.p.Host.Resolve(cs.Source)
		if err != nil {
			// A script deleted from disk keeps its last good code (the
			// host reuses the serving generation's) until the config
			// drops it, so the other scripts still reload.
			if st, ok := s.status[cs.Name]; ok && st.Generation != 0 && st.Source == cs.Source {
				path, err = st.File, nil
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: script %q: %w", cs.File, cs.Line, cs.Name, err)
		}
		out = append(out, luahost.Script{Name: cs.Name, Path: path, Source: cs.Source})
	}
	return out, nil
}

// loadInitial loads cfg's scripts at start. A script that does not load
// stops the start, unless AllowBrokenScripts: then it is left out, loudly,
// and shows in `scriptlet status` until a reload brings it back.
func (s *scriptSet) loadInitial(ctx context.Context, cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	scripts, err := s.resolve(cfg)
	if err != nil {
		return err
	}
	s.add(scripts)
	for {
		err := s.p.Host.Load(ctx, scripts)
		s.record(scripts, err)
		if err == nil {
			return nil
		}
		var ce *luahost.CompileError
		if !s.p.opts.AllowBrokenScripts || !errors.As(err, &ce) {
			return fmt.Errorf("loading scripts: %w", err)
		}
		kept := scripts[:0:0]
		for _, sc := range scripts {
			if sc.Path != ce.Script {
				kept = append(kept, sc)
			}
		}
		if len(kept) == len(scripts) {
			return fmt.Errorf("loading scripts: %w", err)
		}
		s.p.log.Error("STARTING WITHOUT A BROKEN SCRIPT (--allow-broken-scripts): its hooks do not run until it is fixed",
			"script", ce.Script, "error", ce.Err.Error())
		scripts = kept
	}
}

// reload builds a new generation from cfg's scripts and swaps it in; on
// any error the serving generation stays and the error is recorded.
func (s *scriptSet) reload(ctx context.Context, cfg *config.Config, why string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	scripts, err := s.resolve(cfg)
	if err == nil {
		err = s.p.Host.Load(ctx, scripts)
	}
	if err == nil {
		s.add(scripts)
		s.drop(scripts)
	}
	s.record(scripts, err)
	if err != nil {
		if msg := err.Error(); msg != s.lastErr {
			s.lastErr = msg
			s.p.log.Error("reload failed; the previous scripts keep serving", "cause", why, "error", msg)
		}
		return err
	}
	s.lastErr = ""
	s.p.log.Info("scripts reloaded", "cause", why, "generation", s.p.Host.Generation())
	return nil
}

// add makes a status entry for every script not known yet.
func (s *scriptSet) add(scripts []luahost.Script) {
	for _, sc := range scripts {
		if _, ok := s.status[sc.Name]; !ok {
			s.status[sc.Name] = &ScriptStatus{Name: sc.Name, File: sc.Path, Source: sc.Source}
			s.order = append(s.order, sc.Name)
		}
	}
}

// drop forgets the scripts a loaded config no longer has.
func (s *scriptSet) drop(loaded []luahost.Script) {
	keep := map[string]bool{}
	for _, sc := range loaded {
		keep[sc.Name] = true
	}
	kept := s.order[:0]
	for _, k := range s.order {
		if keep[k] {
			kept = append(kept, k)
		} else {
			delete(s.status, k)
		}
	}
	s.order = kept
}

// record notes a load's outcome: a success gives every loaded script the
// new generation and its file, and clears its error; a failure attaches
// the error to the known script it names (or to every known script when
// it names none) and changes nothing else, since the old generation still
// serves what status shows.
func (s *scriptSet) record(loaded []luahost.Script, err error) {
	now := s.p.now()
	if err == nil {
		for _, sc := range loaded {
			st := s.status[sc.Name]
			st.File, st.Source = sc.Path, sc.Source
			st.Generation, st.LoadedAt, st.Err = s.p.Host.Generation(), now, ""
		}
		return
	}
	var ce *luahost.CompileError
	named := errors.As(err, &ce)
	for _, k := range s.order {
		st := s.status[k]
		if !named || ce.Script == st.File || scriptPath(loaded, k) == ce.Script {
			st.Err, st.ErrAt = err.Error(), now
		}
	}
}

// scriptPath is the file a load gave the named script, or "".
func scriptPath(scripts []luahost.Script, name string) string {
	for _, sc := range scripts {
		if sc.Name == name {
			return sc.Path
		}
	}
	return ""
}

// replace makes copy stand for file in every later load (a scenario's
// write step).
func (s *scriptSet) replace(file, copy string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replaced[filepath.Clean(file)] = copy
}

// Status returns each script's status, in load order.
func (s *scriptSet) Status() []ScriptStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ScriptStatus, 0, len(s.order))
	for _, k := range s.order {
		out = append(out, *s.status[k])
	}
	return out
}

// ScriptStatus reports how each script's last load went.
func (p *Process) ScriptStatus() []ScriptStatus { return p.scripts.Status() }

// ReplaceScript makes copy stand for file in this and every later load,
// then reloads: a scenario's write step.
func (p *Process) ReplaceScript(ctx context.Context, file, copy string) error {
	p.scripts.replace(file, copy)
	return p.ReloadScripts(ctx, "script "+file+" replaced")
}

// ReloadScripts recompiles the scripts of the config in force into a new
// generation. On error the old generation keeps serving.
func (p *Process) ReloadScripts(ctx context.Context, why string) error {
	p.reloadMu.Lock()
	defer p.reloadMu.Unlock()
	err := p.scripts.reload(ctx, p.Config(), why)
	p.reloaded()
	return err
}

// ReloadConfig reads the config file again and reloads the scripts it
// names, as one transaction: a config that does not parse or check, or a
// script that does not load, changes nothing. The new config is in force
// while its generation is built, so init() reads it; it is put back when
// the build fails. Reloads are serialised, so the scripts serving and the
// config in force always belong together. Settings read when the process
// was built (the store, the data directory, the scriptlet pool, the
// listeners) need a restart; a change to them is reported in the result.
func (p *Process) ReloadConfig(ctx context.Context) (string, error) {
	p.reloadMu.Lock()
	defer p.reloadMu.Unlock()
	cfg := p.Config()
	if p.opts.ConfigFile != "" {
		var err error
		if cfg, err = p.readConfig(); err == nil {
			err = runChecks(cfg, p)
		}
		if err != nil {
			p.log.Error("config reload failed; the previous config stays", "error", err)
			return "", err
		}
	}
	old := p.cfg.Swap(cfg)
	if err := p.scripts.reload(ctx, cfg, "config reload"); err != nil {
		p.cfg.Store(old)
		return "", err
	}
	p.reloaded()
	out := fmt.Sprintf("Reloaded: generation %d\n", p.Host.Generation())
	if restart := restartNeeded(p.built, cfg); len(restart) > 0 {
		msg := "changed, but take effect only after a restart: " + strings.Join(restart, ", ")
		p.log.Warn("config reload: " + msg)
		out += msg + "\n"
	}
	return out, nil
}

// reloaded tells the script watcher the set of files may have changed.
func (p *Process) reloaded() {
	select {
	case p.resync <- struct{}{}:
	default:
	}
}

// restartNeeded names what differs between two configs that only a
// restart applies.
func restartNeeded(old, cur *config.Config) []string {
	var out []string
	om, _ := old.Mstore()
	cm, _ := cur.Mstore()
	if fmt.Sprint(om) != fmt.Sprint(cm) {
		out = append(out, "mstore")
	}
	if config.DataDirectory.String(old, config.Scope{}) != config.DataDirectory.String(cur, config.Scope{}) {
		out = append(out, "Data_Directory")
	}
	if os, cs := old.Scriptlet(), cur.Scriptlet(); os.PoolSize != cs.PoolSize || os.CallTimeout != cs.CallTimeout {
		out = append(out, "scriptlet pool_size/call_timeout")
	}
	for _, kind := range []string{"Control_Listener", "ESMTP_Listener", "SMSC_Simulator"} {
		if scopesText(old, kind) != scopesText(cur, kind) {
			out = append(out, kind)
		}
	}
	return out
}

// scopesText renders a config's top-level scopes of one kind, to compare.
func scopesText(c *config.Config, kind string) string {
	var b strings.Builder
	for _, n := range c.Root().Scopes(kind) {
		b.WriteString(strings.Join(dumpLines(n), "\n"))
	}
	return b.String()
}

// dumpLines is a scope's dump without the positions, which move when
// lines are added elsewhere in the file.
func dumpLines(n *config.Node) []string {
	var out []string
	for _, line := range strings.Split(n.Dump(), "\n") {
		if i := strings.LastIndex(line, "  # "); i >= 0 {
			line = line[:i]
		}
		out = append(out, line)
	}
	return out
}
