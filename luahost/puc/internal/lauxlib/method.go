package lauxlib

import (
	lua "github.com/yuin/gopher-lua"
)

// PUC names a called function after how the caller reached it (global
// 'print', local 'f', method 'rep', field 'rep', upvalue 'g'), and numbers
// arguments from the caller's point of view: for obj:name(...) the receiver
// is not counted, so ("%d"):format() complains about argument #1.
// gopher-lua's debug info keeps only the name, so callKind reads the
// caller's bytecode: the instruction that loaded the called register
// (OP_SELF, OP_GETGLOBAL, ...) says how. The call instruction is the one
// the caller is executing (internals.go), or else found by name on the
// caller's line.

// CallKind returns PUC's namewhat ("global", "local", "method", "field",
// "upvalue", or "") for the call of name that the Lua function at level is
// executing. Without the instruction, when the function's line holds
// several calls of that name that disagree, it returns "".
func CallKind(L *lua.LState, level int, name string) string {
	dbg, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	v, err := L.GetInfo("lf", dbg, nil)
	if err != nil {
		return ""
	}
	fn, ok := v.(*lua.LFunction)
	if !ok || fn.IsG || fn.Proto == nil {
		return ""
	}
	p := fn.Proto
	if _, pc, ok := FrameInfo(dbg); ok && pc >= 0 && pc < len(p.Code) {
		if op := InstOp(p.Code[pc]); op == lua.OP_CALL || op == lua.OP_TAILCALL {
			return loadKind(p.Code, pc)
		}
	}
	kind, found := "", false
	for _, c := range p.DbgCalls {
		if c.Name != name || c.Pc >= len(p.Code) || p.DbgSourcePositions[c.Pc] != dbg.CurrentLine {
			continue
		}
		k := loadKind(p.Code, c.Pc)
		if found && k != kind {
			return ""
		}
		kind, found = k, true
	}
	return kind
}

// IsMethodCall reports whether the running Go function, known to its
// caller as name, was called with method syntax.
func IsMethodCall(L *lua.LState, name string) bool {
	return CallKind(L, 1, name) == "method"
}

// loadKind walks back from the call at pc to the instruction that loaded
// the called function's register (gopher-lua's instruction layout: opcode
// in the top 6 bits, A in the next 8).
func loadKind(code []uint32, pc int) string {
	a := int(code[pc]>>18) & 0xff
	for k := pc - 1; k >= 0; k-- {
		inst := code[k]
		if int(inst>>18)&0xff != a {
			continue
		}
		switch int(inst >> 26) {
		case lua.OP_SELF:
			return "method"
		case lua.OP_GETGLOBAL:
			return "global"
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
			return "field"
		case lua.OP_GETUPVAL:
			return "upvalue"
		case lua.OP_MOVE, lua.OP_MOVEN:
			return "local"
		case lua.OP_LOADK, lua.OP_LOADNIL, lua.OP_CALL, lua.OP_CLOSURE, lua.OP_VARARG, lua.OP_NEWTABLE:
			return ""
		}
	}
	return ""
}
