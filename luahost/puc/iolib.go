package puc

import (
	"io"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// openIO replaces io.write, which writes through the host's output and
// formats numbers with %.14g.
func openIO(L *lua.LState, h *host) {
	setFuncs(L, "io", map[string]lua.LGFunction{
		"write": func(L *lua.LState) int {
			var b strings.Builder
			for i := 1; i <= L.GetTop(); i++ {
				b.WriteString(checkString(L, i))
			}
			if _, err := io.WriteString(h.out, b.String()); err != nil {
				L.Push(lua.LNil)
				L.Push(lua.LString(err.Error()))
				return 2
			}
			L.Push(lua.LTrue)
			return 1
		},
	})
}
