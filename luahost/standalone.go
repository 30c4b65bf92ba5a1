package luahost

import (
	"context"
	"errors"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/dialect"
)

// RunMain runs a Lua file as the lua5.1 interpreter does: `arg` holds the
// script name at 0 and its arguments from 1, the chunk receives the
// arguments as `...`, and an error comes back as the message lua5.1 would
// print after "lua: ".
func (h *Host) RunMain(ctx context.Context, path string, args []string) error {
	return h.withState(ctx, func(st *state) error {
		L := st.L
		argt := L.NewTable()
		argt.RawSetInt(-1, lua.LString("lua"))
		argt.RawSetInt(0, lua.LString(path))
		largs := make([]lua.LValue, len(args))
		for i, a := range args {
			argt.RawSetInt(i+1, lua.LString(a))
			largs[i] = lua.LString(a)
		}
		L.SetGlobal("arg", argt)
		fn, err := st.gen.loadFile(L, path)
		var se *dialect.SyntaxError
		if errors.As(err, &se) {
			return errors.New(se.LuaMessage()) // lua.c prints no column
		}
		if err != nil {
			return err
		}
		st.script = path
		// lua.c runs the script from a C function (pmain), which PUC's
		// tracebacks show as "[C]: ?" at the bottom; a Go function plays
		// that part.
		main := L.NewFunction(func(L *lua.LState) int {
			L.Push(fn)
			for _, a := range largs {
				L.Push(a)
			}
			L.Call(len(largs), 0)
			return 0
		})
		return st.pcall(ctx, main)
	})
}
