// Package mobility is the Lua module msys.mobility, msys.smpp's name
// before Mobile Momentum 2.1: the same constants and functions.
package mobility

import (
	"msyshost/lib/msys/smpp"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.mobility", Open: smpp.Open})
}
