package lauxlib

import lua "github.com/yuin/gopher-lua"

// allowanceKey holds a state's allocation allowance in its registry.
const allowanceKey = "msyshost.puc.allowance"

// allocCheckMin: smaller allocations are not checked (a check costs a
// registry lookup; the watchdog catches what many small ones add up to).
const allocCheckMin = 1 << 20

// SetAllowance gives L the function that says how many more bytes the
// running code may allocate (ok false: no limit), which CheckAlloc asks.
func SetAllowance(L *lua.LState, f func() (n uint64, ok bool)) {
	ud := L.NewUserData()
	ud.Value = f
	L.G.Registry.RawSetString(allowanceKey, ud)
}

// CheckAlloc raises PUC's allocation error, "not enough memory" without a
// position, when the library is about to allocate size bytes and that is
// more than the running code may still allocate: a single large block
// (string.rep, a concatenation) is refused before it is made rather than
// noticed by the watchdog after.
func CheckAlloc(L *lua.LState, size int) {
	if size < allocCheckMin {
		return
	}
	ud, ok := L.G.Registry.RawGetString(allowanceKey).(*lua.LUserData)
	if !ok {
		return
	}
	f, ok := ud.Value.(func() (uint64, bool))
	if !ok {
		return
	}
	if n, limited := f(); limited && uint64(size) > n {
		L.Error(lua.LString("not enough memory"), 0)
	}
}
