package lgc

import (
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Finalizable userdata: PUC 5.1 calls the __gc metamethod of a userdata
// that has become garbage. gopher-lua leaves userdata to Go's collector,
// which cannot call Lua, so the libraries list the userdata that may need
// a finalizer (newproxy's, files) and collectgarbage finalizes those it
// finds unreachable (Collect).

const trackKey = "msyshost.puc.tracked"

// Tracked is a state's list of userdata that may need finalizing, in
// creation order, and the collection counter the libraries advance.
type Tracked struct {
	Userdata []*lua.LUserData
	// Weak records that a metatable with __mode was set: the state has
	// weak tables worth collecting.
	Weak bool
	// Since counts the userdata tracked, and Calls the host's chances to
	// collect (Due), since the last collection.
	Since, Calls int
	// Inline: collections run where the script allocates (SetInline).
	Inline bool

	goDue      bool             // Go's collector ran (Poll)
	finalizing bool             // Finalize is running
	pending    []*lua.LUserData // unreached, to finalize (Sweep, Finalize)
	objects    int              // objects the last marking reached
	notBefore  time.Time        // pacing: Due waits for this
	markBytes  int              // Count's baseline, from the last marking
	heapAtMark int              // the process's heap then
	stepWork   float64          // work the steps since the last collection did
}

// TrackedOf returns L's list, creating it.
func TrackedOf(L *lua.LState) *Tracked {
	reg := L.G.Registry
	if ud, ok := reg.RawGetString(trackKey).(*lua.LUserData); ok {
		if t, ok := ud.Value.(*Tracked); ok {
			return t
		}
	}
	t := &Tracked{}
	ud := L.NewUserData()
	ud.Value = t
	reg.RawSetString(trackKey, ud)
	return t
}

// Track lists ud for finalizing.
func Track(L *lua.LState, ud *lua.LUserData) {
	t := TrackedOf(L)
	t.Userdata = append(t.Userdata, ud)
	t.Since++
}
