package msys

import (
	"math"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// msys.sleep(seconds): waits that long. Momentum suspends the session on
// its scheduler; a msyshost hook has a goroutine of its own, which waits.
// The wait ends early, with an error, when the call's deadline passes or
// its caller gives up.
func sleep(a luahost.Args) int {
	s := a.Number(1)
	if !(s > 0) {
		return 0
	}
	d := time.Duration(math.Min(s, float64(math.MaxInt64/int64(time.Second))) * float64(time.Second))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-a.L.Context().Done():
		a.Raise("msys.sleep interrupted: %v", a.L.Context().Err())
	}
	return 0
}

// msys.asyncOk() → true when the running code may suspend (sleep, wait for
// a lock or a pool): in hooks, chunks and console commands; false while
// the scripts load and their init runs, which hold up a reload.
func asyncOk(a luahost.Args) int {
	return a.Push(lua.LBool(!luahost.Building(a.L)))
}
