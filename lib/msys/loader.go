package msys

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{
		Name: "msys",
		Open: open,
		Notes: map[string]string{
			"msys.sleep":       "blocks the hook's goroutine (each call has its own); the call's deadline still applies",
			"msys.readfile":    "files and file:// URIs; other schemes return nil and why",
			"msys.expandMacro": "expands %{vctx_conn:key} and %{vctx_mess:key} of the hook's vctx or message; other macros are left as written",
			"msys.config":      "get only, from the loaded config file; set returns nil and why (msyshost is configured by its file)",
			"msys.lock":        "held by the Lua state (Momentum: the OS thread) until unlocked or the state closes",
			"msys.cast":        "casts between classes with the same Go value only; anything else is an error, not a crash",
		},
		Missing: map[string]string{
			"msys.snmpTrap":       "needs an SNMP agent; msyshost sends no traps",
			"msys.runSieveScript": "needs Momentum's Sieve engine",
		},
	})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"sleep":                 luahost.Func("sleep", sleep, luahost.Effect),
		"asyncOk":               luahost.Func("asyncOk", asyncOk),
		"lock":                  luahost.Func("lock", lock),
		"unlock":                luahost.Func("unlock", unlock),
		"shareSet":              luahost.Func("shareSet", shareSet),
		"shareGet":              luahost.Func("shareGet", shareGet, luahost.Replay),
		"shareUnset":            luahost.Func("shareUnset", shareUnset),
		"readfile":              luahost.Func("readfile", readfile, luahost.Replay),
		"parseRFC2822Addresses": luahost.Func("parseRFC2822Addresses", parseAddresses),
		"expandMacro":           luahost.Func("expandMacro", expandMacro),
		"config":                luahost.Func("config", configCmd),
		"log":                   luahost.Func("log", logf),
		"cast":                  luahost.Func("cast", cast),
		"getClassMetaTable":     luahost.Func("getClassMetaTable", classMetaTable),
		"registerAuth":          luahost.Func("registerAuth", registerAuth),
	})
	return t
}
