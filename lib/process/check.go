package process

import (
	"fmt"
	"sync"

	"msyshost/lib/config"
	"msyshost/luahost"
)

// Checker validates what a component will read from cfg, beyond the
// registry's declared types: addresses, routes, file references. It
// returns errors with the config position. p is the running process during
// a reload (so a check may compare with what runs), nil when a config is
// checked on its own (`msyshost config check`).
type Checker func(cfg *config.Config, p *Process) error

var (
	checkersMu sync.Mutex
	checkers   []checker
)

type checker struct {
	name string
	fn   Checker
}

// RegisterCheck adds a component's config check; packages call it from
// init() beside Register. A duplicate name panics.
func RegisterCheck(name string, fn Checker) {
	checkersMu.Lock()
	defer checkersMu.Unlock()
	for _, c := range checkers {
		if c.name == name {
			panic(fmt.Sprintf("process: config check %q registered twice", name))
		}
	}
	checkers = append(checkers, checker{name, fn})
}

func runChecks(cfg *config.Config, p *Process) error {
	checkersMu.Lock()
	cs := append([]checker(nil), checkers...)
	checkersMu.Unlock()
	var errs config.Problems
	for _, c := range cs {
		if err := c.fn(cfg, p); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Validate checks a config as Build would, without opening or starting
// anything: the registry's check (strict or lenient), the store settings,
// every script source found and compiled, and every component's check.
// It is `msyshost config check`.
func Validate(cfg *config.Config, opts Options) (warnings []error, err error) {
	warnings, err = cfg.Check(opts.Lenient)
	if err != nil {
		return warnings, err
	}
	var errs config.Problems
	if _, err := cfg.Mstore(); err != nil {
		errs = append(errs, err)
	}
	p := &Process{opts: opts}
	p.scripts = newScriptSet(p, opts.Scripts)
	p.Host = luahost.New(luahost.Options{SearchPath: p.scripts.searchPath()}, nil)
	defer p.Host.Close()
	for _, cs := range cfg.Scripts() {
		path, err := p.Host.Resolve(cs.Source)
		if err == nil {
			err = luahost.Compile(path)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: script %q: %w", cs.File, cs.Line, cs.Name, err))
		}
	}
	if err := runChecks(cfg, nil); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return warnings, nil
	}
	return warnings, errs
}

func init() {
	RegisterCheck("control listener", func(cfg *config.Config, _ *Process) error {
		_, err := controlPaths(cfg, "")
		return err
	})
}
