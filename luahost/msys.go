package luahost

import (
	lua "github.com/yuin/gopher-lua"
)

// openMsys creates the msys table with the functions that need no require.
func (st *state) openMsys() {
	L := st.L
	msys := L.NewTable()
	L.SetFuncs(msys, map[string]lua.LGFunction{
		"registerModule":  contain("registerModule", st.registerModule),
		"registerControl": contain("registerControl", st.registerControl),
		"runInPool":       contain("runInPool", st.runInPool),
		"type":            Func("type", msysType),
	})
	st.openControls()
	L.SetGlobal("msys", msys)
	st.loaded().RawSetString("msys", msys)
}

// msys.type(x) → the class name of engine userdata ("msys.core:_ec_message"),
// else what type(x) says.
func msysType(a Args) int {
	v := a.Any(1)
	if ud, ok := v.(*lua.LUserData); ok {
		if mt, ok := ud.Metatable.(*lua.LTable); ok {
			if name, ok := mt.RawGetString("__name").(lua.LString); ok {
				return a.Push(name)
			}
		}
	}
	return a.Push(lua.LString(v.Type().String()))
}
