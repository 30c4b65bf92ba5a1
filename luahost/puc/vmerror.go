package puc

import (
	"regexp"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
)

// gopher-lua's VM words its runtime errors its own way ("attempt to index
// a non-table object(nil) with key 'x'"). PUC names the variable involved
// ("attempt to index global 'cfg' (a nil value)"), found by reading the
// failing function's bytecode. translateVMError does the same on
// gopher-lua's bytecode while the failing frame is still on the stack:
// pcall and xpcall run it as their error handler, and PCall offers the
// same to a host. gopher-lua's debug API gives the failing line but not
// the instruction; internals.go reads the instruction, and without it the
// instruction is chosen among those of the line that fit the message and
// the registers (when several fit with different names, the message names
// none, as PUC does when it cannot tell).

var (
	// vmMessage is a quick test for the messages translated below.
	vmMessage = regexp.MustCompile(`attempt to |cannot perform |__(len|unm) undefined|for statement |too many recursions`)
	reIndex   = regexp.MustCompile(`^attempt to index a non-table object\((\w+)\) with key '(.*)'$`)
	reArith   = regexp.MustCompile(`^cannot perform (add|sub|mul|div|mod|pow) operation between (\w+) and (\w+)$`)
	reCompare = regexp.MustCompile(`^attempt to compare (\w+) with (\w+)$`)
)

var fixedVMMessages = map[string]string{
	"for statement init must be a number":  "'for' initial value must be a number",
	"for statement limit must be a number": "'for' limit must be a number",
	"for statement step must be a number":  "'for' step must be a number",
	"too many recursions in gettable":      "loop in gettable",
	"too many recursions in settable":      "loop in settable",
}

// translateVMError rewrites v if it is a VM error raised in the Lua
// function at level (counted from the running handler).
func translateVMError(L *lua.LState, v lua.LValue, level int) lua.LValue {
	s, ok := v.(lua.LString)
	if !ok || !vmMessage.MatchString(string(s)) {
		return v
	}
	dbg, ok := L.GetStack(level)
	if !ok {
		return v
	}
	fv, err := L.GetInfo("Slf", dbg, nil)
	fn, isFn := fv.(*lua.LFunction)
	if err != nil || !isFn || fn.IsG || dbg.CurrentLine <= 0 {
		return v
	}
	prefix := lauxlib.Where(L, level)
	body, ok := strings.CutPrefix(string(s), prefix)
	if !ok {
		return v
	}
	if fixed, ok := fixedVMMessages[body]; ok {
		return lua.LString(prefix + fixed)
	}
	f := frameCode{L: L, dbg: dbg, p: fn.Proto, line: dbg.CurrentLine, pc: -1}
	if _, pc, ok := lauxlib.FrameInfo(dbg); ok && pc >= 0 && pc < len(fn.Proto.Code) {
		f.pc = pc
	}
	var out string
	switch {
	case body == "attempt to call a non-function object":
		out = f.callError()
	case body == "__unm undefined":
		out = f.unaryError(lua.OP_UNM, "perform arithmetic on")
	case body == "__len undefined":
		out = f.unaryError(lua.OP_LEN, "get length of")
	default:
		if m := reIndex.FindStringSubmatch(body); m != nil {
			out = f.indexError(m[1], m[2])
		} else if m := reArith.FindStringSubmatch(body); m != nil {
			out = f.arithError(m[1], m[2], m[3])
		} else if m := reCompare.FindStringSubmatch(body); m != nil && m[1] == m[2] {
			out = "attempt to compare two " + m[1] + " values"
		}
	}
	if out == "" {
		return v
	}
	return lua.LString(prefix + out)
}

// frameCode reads the bytecode and registers of the failing frame.
type frameCode struct {
	L    *lua.LState
	dbg  *lua.Debug
	p    *lua.FunctionProto
	line int
	pc   int // the failing instruction, -1 when unknown
}

const rkConstant = 1 << 8 // an RK operand with this bit names a constant

// pcs lists the instructions with one of ops that may have failed: the
// failing instruction when it is known, else those of the failing line.
func (f *frameCode) pcs(ops ...int) []int {
	if f.pc >= 0 {
		for _, op := range ops {
			if lauxlib.InstOp(f.p.Code[f.pc]) == op {
				return []int{f.pc}
			}
		}
	}
	var out []int
	for pc, inst := range f.p.Code {
		if pc < len(f.p.DbgSourcePositions) && f.p.DbgSourcePositions[pc] == f.line {
			for _, op := range ops {
				if lauxlib.InstOp(inst) == op {
					out = append(out, pc)
				}
			}
		}
	}
	return out
}

// reg reads register r of the failing frame.
func (f *frameCode) reg(r int) lua.LValue {
	_, v := f.L.GetLocal(f.dbg, r+1)
	return v
}

// rk reads an RK operand: a constant or a register.
func (f *frameCode) rk(x int) (lua.LValue, bool) {
	if x&rkConstant != 0 {
		k := x &^ rkConstant
		if k < len(f.p.Constants) {
			return f.p.Constants[k], true
		}
		return lua.LNil, true
	}
	return f.reg(x), false
}

// describe is PUC's getobjname: how register r got its value at pc, as
// "global 'x'", "local 'x'", "field 'x'", "upvalue 'x'", "method 'x'", or
// "" when it cannot tell.
func (f *frameCode) describe(pc, r int) string {
	if name := localName(f.p, r, pc); name != "" && !strings.HasPrefix(name, "(") {
		return "local '" + name + "'"
	}
	pseudo := closureOperands(f.p)
	for k := pc - 1; k >= 0; k-- {
		inst := f.p.Code[k]
		op := lauxlib.InstOp(inst)
		if pseudo[k] || lauxlib.InstA(inst) != r || !writesA(op) {
			continue
		}
		switch op {
		case lua.OP_GETGLOBAL:
			return "global '" + f.constName(lauxlib.InstBx(inst)|rkConstant) + "'"
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
			return "field '" + f.constName(lauxlib.InstC(inst)) + "'"
		case lua.OP_SELF:
			return "method '" + f.constName(lauxlib.InstC(inst)) + "'"
		case lua.OP_GETUPVAL:
			if b := lauxlib.InstB(inst); b < len(f.p.DbgUpvalues) && !strings.HasPrefix(f.p.DbgUpvalues[b], "(") {
				return "upvalue '" + f.p.DbgUpvalues[b] + "'"
			}
		case lua.OP_MOVE:
			if b := lauxlib.InstB(inst); b < r {
				return f.describe(k, b)
			}
		}
		return ""
	}
	return ""
}

// closureOperands marks the MOVE and GETUPVAL that follow an OP_CLOSURE
// to say what the closure captures: they are not executed.
func closureOperands(p *lua.FunctionProto) map[int]bool {
	var marks map[int]bool
	for pc := 0; pc < len(p.Code); pc++ {
		if lauxlib.InstOp(p.Code[pc]) != lua.OP_CLOSURE {
			continue
		}
		bx := lauxlib.InstBx(p.Code[pc])
		if bx >= len(p.FunctionPrototypes) {
			continue
		}
		for i := 1; i <= int(p.FunctionPrototypes[bx].NumUpvalues); i++ {
			if marks == nil {
				marks = map[int]bool{}
			}
			marks[pc+i] = true
		}
		pc += int(p.FunctionPrototypes[bx].NumUpvalues)
	}
	return marks
}

// localName is luaF_getlocalname: the local held by register r at pc
// (locals are numbered in register order among those active at pc).
func localName(p *lua.FunctionProto, r, pc int) string {
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc <= l.EndPc { // EndPc is the scope's last instruction
			if r == 0 {
				return l.Name
			}
			r--
		}
	}
	return ""
}

// constName is PUC's kname: a constant string operand, else "?".
func (f *frameCode) constName(x int) string {
	if x&rkConstant == 0 {
		return "?"
	}
	if s, ok := f.p.Constants[x&^rkConstant].(lua.LString); ok {
		return string(s)
	}
	return "?"
}

// writesA reports whether an instruction stores into its register A.
func writesA(op int) bool {
	switch op {
	case lua.OP_SETGLOBAL, lua.OP_SETUPVAL, lua.OP_SETTABLE, lua.OP_SETTABLEKS, lua.OP_EQ, lua.OP_LT,
		lua.OP_LE, lua.OP_TEST, lua.OP_JMP, lua.OP_RETURN, lua.OP_SETLIST, lua.OP_CLOSE, lua.OP_NOP:
		return false
	}
	return true
}

// pick returns the message all candidates agree on, or the unnamed one.
func pick(candidates []string, unnamed string) string {
	if len(candidates) == 0 {
		return unnamed
	}
	for _, c := range candidates[1:] {
		if c != candidates[0] {
			return unnamed
		}
	}
	return candidates[0]
}

func withName(what, desc, typ string) string {
	if desc == "" {
		return "attempt to " + what + " a " + typ + " value"
	}
	return "attempt to " + what + " " + desc + " (a " + typ + " value)"
}

func (f *frameCode) indexError(typ, key string) string {
	var found []string
	for _, pc := range f.pcs(lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF, lua.OP_SETTABLE, lua.OP_SETTABLEKS) {
		inst := f.p.Code[pc]
		obj, keyOperand := lauxlib.InstB(inst), lauxlib.InstC(inst)
		if op := lauxlib.InstOp(inst); op == lua.OP_SETTABLE || op == lua.OP_SETTABLEKS {
			obj, keyOperand = lauxlib.InstA(inst), lauxlib.InstB(inst)
		}
		k, _ := f.rk(keyOperand)
		if f.reg(obj).Type().String() != typ || k.String() != key {
			continue
		}
		found = append(found, withName("index", f.describe(pc, obj), typ))
	}
	return pick(found, withName("index", "", typ))
}

func (f *frameCode) callError() string {
	var found, types []string
	for _, pc := range f.pcs(lua.OP_CALL, lua.OP_TAILCALL, lua.OP_TFORLOOP) {
		a := lauxlib.InstA(f.p.Code[pc])
		v := f.reg(a)
		if lauxlib.Callable(f.L, v) {
			continue
		}
		name := ""
		if lauxlib.InstOp(f.p.Code[pc]) != lua.OP_TFORLOOP {
			// PUC calls a generic for's generator through a copy that
			// its debug information does not name.
			name = f.describe(pc, a)
		}
		found = append(found, withName("call", name, v.Type().String()))
		types = append(types, withName("call", "", v.Type().String()))
	}
	return pick(found, pick(types, ""))
}

func (f *frameCode) unaryError(op int, what string) string {
	var found, types []string
	for _, pc := range f.pcs(op) {
		b := lauxlib.InstB(f.p.Code[pc])
		v := f.reg(b)
		if _, isNum := lauxlib.ToNumber(v); isNum && op == lua.OP_UNM {
			continue
		}
		if op == lua.OP_LEN && (v.Type() == lua.LTString || v.Type() == lua.LTTable) {
			continue
		}
		found = append(found, withName(what, f.describe(pc, b), v.Type().String()))
		types = append(types, withName(what, "", v.Type().String()))
	}
	return pick(found, pick(types, ""))
}

// arithType reports whether v is what gopher-lua's message calls typ; it
// names a numeric string "number", having converted it.
func arithType(v lua.LValue, typ string) bool {
	if _, ok := v.(lua.LString); ok && typ == "number" {
		_, isNum := lauxlib.ToNumber(v)
		return isNum
	}
	return v.Type().String() == typ
}

var arithOps = map[string]int{
	"add": lua.OP_ADD, "sub": lua.OP_SUB, "mul": lua.OP_MUL, "div": lua.OP_DIV, "mod": lua.OP_MOD, "pow": lua.OP_POW,
}

// arithError blames the first operand if it is not a number (or a string
// that reads as one), else the second, as luaG_aritherror does.
func (f *frameCode) arithError(opName, t1, t2 string) string {
	var found []string
	for _, pc := range f.pcs(arithOps[opName]) {
		inst := f.p.Code[pc]
		x, xConst := f.rk(lauxlib.InstB(inst))
		y, yConst := f.rk(lauxlib.InstC(inst))
		if !arithType(x, t1) || !arithType(y, t2) {
			continue
		}
		blamed, operand, isConst := y, lauxlib.InstC(inst), yConst
		if _, ok := lauxlib.ToNumber(x); !ok {
			blamed, operand, isConst = x, lauxlib.InstB(inst), xConst
		}
		desc := ""
		if !isConst {
			desc = f.describe(pc, operand)
		}
		found = append(found, withName("perform arithmetic on", desc, blamed.Type().String()))
	}
	blame := t2
	if t1 != "number" && t1 != "string" {
		blame = t1
	}
	return pick(found, withName("perform arithmetic on", "", blame))
}
