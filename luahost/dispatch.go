package luahost

import (
	"context"
	"fmt"
	"regexp"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/luahost/dialect"
)

// HookCall is one module's answer to one hook.
type HookCall struct {
	Hook     string
	Module   string
	Script   string
	Returned lua.LValue // what the method returned; LNil on error
	Code     int        // Returned as a number; hook.Continue when it was not one
	Err      string     // the error, deadline or bad return, as logged
}

// Result is the outcome of dispatching a hook to every module that has it.
type Result struct {
	// Code is the first return other than hook.Continue; hook.Continue when
	// every module continued, failed, or none defines the hook.
	Code  int
	Calls []HookCall
}

// Call dispatches hook to every registered module that defines it, in config
// order, as a method call with args. The first return other than
// hook.Continue decides and stops the chain. A module that raises an error, runs past the
// deadline, or returns nil or a non-number is logged with script, hook and
// position and counts as hook.Continue, so the caller's default action runs.
// args may be strings, numbers, booleans, nil, map[string]string (a
// table), lua.LValue, or a value whose Go type has a Class (a
// *message.Message passes as an ec_message).
func (h *Host) Call(ctx context.Context, hook string, args ...any) Result {
	var res Result
	res.Code = h.dispatch(ctx, hook, args, func(c HookCall) { res.Calls = append(res.Calls, c) })
	return res
}

// Dispatch calls hook as Call does and returns the deciding code without
// collecting the calls; it makes a Host the retry core's Hooks.
func (h *Host) Dispatch(ctx context.Context, hook string, args ...any) int {
	return h.dispatch(ctx, hook, args, nil)
}

func (h *Host) dispatch(ctx context.Context, name string, args []any, observe func(HookCall)) int {
	g, st, err := h.acquire(ctx)
	if err != nil {
		if err != errNoScripts {
			h.log.Error("hook not dispatched", "hook", name, "error", err)
		}
		return hook.Continue
	}
	defer func() { g.release(st) }()
	returns := hook.ReturnsCode
	if spec, ok := hook.Lookup(name); ok {
		returns = spec.Returns
	}
	// The chain was frozen when the generation was built. Modules are
	// visited by index: a state that broke is replaced by a fresh one of
	// the same generation, whose modules are the same, and the chain goes
	// on with the next module.
	for _, i := range g.chains[name] {
		if st.broken {
			// The state broke in the previous module; the rest of the
			// chain runs in another (after the last module nothing is
			// rebuilt here: release leaves that to the background).
			if st = g.substitute(st); st == nil {
				h.log.Error("hook chain cut short: no Lua state to run the remaining modules", "hook", name)
				return hook.Continue
			}
		}
		mod := st.modules[i]
		fn, ok := mod.tbl.RawGetString(name).(*lua.LFunction)
		if !ok {
			continue
		}
		call := st.callHook(ctx, name, mod, mod.tbl, fn, args, returns)
		if call.Err != "" {
			h.log.Warn("hook failed; default action applies", "hook", name, "module", mod.name, "script", mod.script, "error", call.Err)
		}
		if observe != nil {
			observe(call)
		}
		if call.Code != hook.Continue || returns == hook.ReturnsValue && call.Returned != lua.LNil && call.Err == "" {
			return call.Code
		}
	}
	return hook.Continue
}

// callHook calls one module's method with self (the module table, or a
// session's own table) and reads its return as the hook's catalog entry
// says: a code (nil or a non-number is an error), a value, or nothing.
func (st *state) callHook(ctx context.Context, name string, mod *module, self lua.LValue, fn *lua.LFunction, args []any, returns hook.Returns) HookCall {
	L := st.L
	call := HookCall{Hook: name, Module: mod.name, Script: mod.script, Returned: lua.LNil}
	st.script = mod.script
	largs := append(st.args[:0], self)
	for _, a := range args {
		v, err := toLua(L, a)
		if err != nil {
			call.Err = err.Error()
			return call
		}
		largs = append(largs, v)
	}
	st.args = largs
	st.callArgs = largs[1:]
	defer func() {
		L.SetTop(0)
		st.callArgs = nil
	}()
	if err := st.pcall(ctx, fn, largs...); err != nil {
		call.Err = err.Error()
		if !hasPosition.MatchString(call.Err) {
			call.Err += " (in " + name + " defined at " + position(fn) + ")"
		}
		return call
	}
	call.Returned = L.Get(-1)
	n, isNum := call.Returned.(lua.LNumber)
	switch {
	case returns == hook.ReturnsNone:
	case isNum:
		call.Code = int(n)
	case returns == hook.ReturnsCode:
		call.Err = fmt.Sprintf("%s returned %s, not a number (%s defined at %s)", name, call.Returned.Type(), name, position(fn))
	}
	return call
}

// hasPosition matches a message that names a "file:line".
var hasPosition = regexp.MustCompile(`[^\s:]+:\d+`)

func position(fn *lua.LFunction) string {
	if fn.Proto == nil {
		return "Go function"
	}
	return fmt.Sprintf("%s:%d", fn.Proto.SourceName, fn.Proto.LineDefined)
}

// ToLua converts a Go value to Lua as hook arguments are converted: nil,
// strings, numbers, booleans, map[string]string, lua.LValue, or a value
// whose Go type has a Class.
func ToLua(L *lua.LState, a any) (lua.LValue, error) { return toLua(L, a) }

func toLua(L *lua.LState, a any) (lua.LValue, error) {
	switch v := a.(type) {
	case nil:
		return lua.LNil, nil
	case lua.LValue:
		return v, nil
	case string:
		return lua.LString(v), nil
	case int:
		return lua.LNumber(v), nil
	case int64:
		return lua.LNumber(v), nil
	case float64:
		return lua.LNumber(v), nil
	case bool:
		return lua.LBool(v), nil
	case map[string]string:
		t := L.NewTable()
		for k, s := range v {
			t.RawSetString(k, lua.LString(s))
		}
		return t, nil
	}
	if v, ok := convert(L, a); ok {
		return v, nil
	}
	return nil, fmt.Errorf("luahost: cannot pass a %T to Lua", a)
}

// Run compiles code and runs it once in a state of the serving generation
// (scenario `lua:` steps, console `lua` commands). A generation with no
// scripts is built on demand so a chunk can run before any Load.
func (h *Host) Run(ctx context.Context, name, code string) error {
	p, err := dialect.Compile([]byte(code), name)
	if err != nil {
		return err
	}
	return h.withState(ctx, func(st *state) error {
		fn, err := dialect.Load(st.L, p)
		if err != nil {
			return err
		}
		st.script = name
		return st.pcall(ctx, fn)
	})
}

// WithState runs f with a state of the serving generation held, for callers
// that drive Lua directly (the Lua test runner, the console). f must not keep
// L past its return.
func (h *Host) WithState(ctx context.Context, f func(L *lua.LState) error) error {
	return h.withState(ctx, func(st *state) error { return f(st.L) })
}

func (h *Host) withState(ctx context.Context, f func(st *state) error) error {
	if err := h.ensureLoaded(ctx); err != nil {
		return err
	}
	g, st, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	defer g.release(st)
	return f(st)
}

// PCall calls fn in L under the host's deadline and leaves one result on the
// stack; it marks the state broken on a timeout or a Go panic, as hook calls
// do.
func PCall(ctx context.Context, L *lua.LState, fn *lua.LFunction, args ...lua.LValue) error {
	return stateOf(L).pcall(ctx, fn, args...)
}
