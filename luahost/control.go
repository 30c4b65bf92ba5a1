package luahost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// Console commands scripts add with msys.registerControl(prefix, fn). The
// console of the daemon asks the host for them (ControlNames, RunControl);
// the function runs in a state of the serving generation with a command
// construct `cc` (cc.argc counts the command name, cc.argv[0] is it), and
// what it prints is the command's output.

type controls struct {
	mu     sync.Mutex
	byName map[string]*control
}

type control struct {
	name, script string
	cb           *Callback
}

// ccClass is the command construct a control function receives.
var ccClass = NewClass[commandConstruct]("msys.core:_command_construct", "command_construct")

type commandConstruct struct{ argv []string }

// msys.registerControl(prefix, fn): a console command; a command line whose
// first words are prefix runs fn(cc). Registering a prefix again replaces
// it.
func (st *state) registerControl(L *lua.LState) int {
	a := Args{L: L, Name: "registerControl"}
	name := strings.Join(strings.Fields(a.String(1)), " ")
	if name == "" {
		a.Error(1, "command name expected")
	}
	fn := a.Function(2)
	cb, existing := Keep(L, fn)
	if existing {
		return 0
	}
	c := &st.gen.controls
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byName == nil {
		c.byName = map[string]*control{}
	}
	if old := c.byName[name]; old != nil {
		old.cb.Release()
	}
	c.byName[name] = &control{name: name, script: st.script, cb: cb}
	return 0
}

// ControlNames returns the console commands the serving generation's
// scripts registered, sorted.
func (h *Host) ControlNames() []string {
	g := h.gen.Load()
	if g == nil {
		return nil
	}
	g.controls.mu.Lock()
	defer g.controls.mu.Unlock()
	g.controls.prune(h.log)
	out := make([]string, 0, len(g.controls.byName))
	for n := range g.controls.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ErrNoControl is RunControl's answer to a line no script registered.
var ErrNoControl = errors.New("no script registered this command")

// RunControl runs the Lua-registered console command that line starts with
// (the longest registered prefix, matched by words; arguments may be quoted
// with " or ') and returns what it printed. A command's Lua error comes back
// as the error, after the output printed before it.
func (h *Host) RunControl(ctx context.Context, line string) (string, error) {
	words, err := splitCommand(line)
	if err != nil {
		return "", err
	}
	g := h.gen.Load()
	if g == nil {
		return "", ErrNoControl
	}
	g.controls.mu.Lock()
	g.controls.prune(h.log)
	var c *control
	n := 0
	for i := len(words); i > 0 && c == nil; i-- {
		if cc := g.controls.byName[strings.Join(words[:i], " ")]; cc != nil {
			c, n = cc, i
		}
	}
	g.controls.mu.Unlock()
	if c == nil {
		return "", ErrNoControl
	}
	argv := append([]string{c.name}, words[n:]...)
	var out strings.Builder
	err = c.cb.Run(ctx, func(L *lua.LState, fn *lua.LFunction) error {
		st := stateOf(L)
		st.printTo, st.script = &out, c.script
		defer func() { st.printTo, st.script = nil, "" }()
		return st.pcall(ctx, fn, ccClass.Push(L, &commandConstruct{argv: argv}))
	})
	if err != nil {
		return out.String(), fmt.Errorf("%s: %w", c.name, err)
	}
	return out.String(), nil
}

// prune forgets, with a warning, the commands registered in a hook whose
// state broke since (the function went with the state); c.mu is held.
func (c *controls) prune(log *slog.Logger) {
	for name, ctl := range c.byName {
		if ctl.cb.Orphaned() {
			log.Warn("console command dropped: the Lua state that registered it from a hook is gone (a call in it failed and the state was replaced)", "command", name, "script", ctl.script)
			delete(c.byName, name)
		}
	}
}

// splitCommand splits a console line into words; quotes group words.
func splitCommand(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, quoted := byte(0), false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case in != 0 && ch == in:
			in = 0
		case in != 0:
			cur.WriteByte(ch)
		case ch == '"' || ch == '\'':
			in, quoted = ch, true
		case ch == ' ' || ch == '\t':
			if cur.Len() > 0 || quoted {
				words = append(words, cur.String())
				cur.Reset()
				quoted = false
			}
		default:
			cur.WriteByte(ch)
		}
	}
	if in != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", in, line)
	}
	if cur.Len() > 0 || quoted {
		words = append(words, cur.String())
	}
	return words, nil
}

// openControls adds the command construct's fields.
func (st *state) openControls() {
	L := st.L
	ccClass.Field(L, "argc", func(L *lua.LState, c *commandConstruct) lua.LValue { return lua.LNumber(len(c.argv)) }, nil)
	ccClass.Field(L, "argv", func(L *lua.LState, c *commandConstruct) lua.LValue {
		t := L.NewTable()
		for i, w := range c.argv {
			t.RawSetInt(i, lua.LString(w))
		}
		mt := L.NewTable()
		// Momentum's argv is a C array that crashes the server when read
		// past argc; here that is an error naming the bound.
		mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			if n, ok := L.Get(2).(lua.LNumber); ok {
				raise(L, "cc.argv[%s] is past the arguments: indexes run from 0 to %d (cc.argc is %d)", n.String(), len(c.argv)-1, len(c.argv))
			}
			L.Push(lua.LNil)
			return 1
		}))
		L.SetMetatable(t, mt)
		return t
	}, nil)
}
