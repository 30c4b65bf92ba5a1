// Package datasource is the Lua module msys.datasource and the datasource
// layer behind msys.db: the `datasource "name" { uri = ... }` scopes of the
// config, each a cache of query results in front of a SQLite database
// (modernc.org/sqlite, embedded). Momentum scripts require msys.datasource
// beside msys.db; its functions are msys.db's, so its table is empty.
package datasource

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Datasources is the pool msys.db queries; the assembly sets it.
var Datasources = luahost.NewService[*Pool]("datasources")

func init() {
	luahost.Register(luahost.Binding{Name: "msys.datasource", Open: func(L *lua.LState) lua.LValue {
		return L.NewTable()
	}})
}
