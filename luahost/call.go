package luahost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc"
)

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
