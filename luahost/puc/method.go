package puc

import (
	lua "github.com/yuin/gopher-lua"
)

// PUC numbers arguments from the caller's point of view: for obj:name(...)
// the receiver is not counted, so ("%d"):format() complains about
// argument #1. gopher-lua's debug info does not say whether a call used
// method syntax, so isMethodCall reads the caller's bytecode: a call whose
// function register was loaded by OP_SELF is a method call.

// isMethodCall reports whether the running Go function, known to its
// caller as name, was called with method syntax. When the caller's line
// holds several calls of that name that disagree, it says no.
func isMethodCall(L *lua.LState, name string) bool {
	dbg, ok := L.GetStack(1)
	if !ok {
		return false
	}
	v, err := L.GetInfo("lf", dbg, nil)
	if err != nil {
		return false
	}
	fn, ok := v.(*lua.LFunction)
	if !ok || fn.IsG || fn.Proto == nil {
		return false
	}
	p := fn.Proto
	method, found := false, false
	for _, c := range p.DbgCalls {
		if c.Name != name || c.Pc >= len(p.Code) || p.DbgSourcePositions[c.Pc] != dbg.CurrentLine {
			continue
		}
		m := loadedBySelf(p.Code, c.Pc)
		if found && m != method {
			return false
		}
		method, found = m, true
	}
	return method
}

// loadedBySelf walks back from the call at pc to the instruction that
// loaded the called function's register (gopher-lua's instruction layout:
// opcode in the top 6 bits, A in the next 8).
func loadedBySelf(code []uint32, pc int) bool {
	a := int(code[pc]>>18) & 0xff
	for k := pc - 1; k >= 0; k-- {
		inst := code[k]
		if int(inst>>18)&0xff != a {
			continue
		}
		switch int(inst >> 26) {
		case lua.OP_SELF:
			return true
		case lua.OP_MOVE, lua.OP_MOVEN, lua.OP_LOADK, lua.OP_LOADNIL, lua.OP_GETUPVAL, lua.OP_GETGLOBAL,
			lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_CALL, lua.OP_CLOSURE, lua.OP_VARARG, lua.OP_NEWTABLE:
			return false
		}
	}
	return false
}
