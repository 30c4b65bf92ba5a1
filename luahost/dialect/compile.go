package dialect

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Compile parses src and compiles it with gopher-lua's compiler. chunkName
// is the name runtime errors carry ("path:line: msg"); pass a script's
// path. The proto is immutable and may be shared by any number of
// LStates; instantiate it with Load. Errors are *SyntaxError.
//
// The parser's register count errs high, but gopher-lua's allocation can
// still exceed its 200 registers where lowered code needs more than
// gopher-lua's own. Then the function gopher-lua names (by the line it was
// defined on) is parsed again with its plain-Lua lowerings left to
// gopher-lua, until the chunk compiles or a function overflows with none
// left: PUC's "function or expression too complex" (luaK_checkstack).
func Compile(src []byte, chunkName string) (*lua.FunctionProto, error) {
	return compileAt(src, chunkName, 1)
}

// compileAt compiles src with calls levels of C calls already counted
// against PUC's limit of 200 syntax levels (LUAI_MAXCCALLS, which the
// parser shares with the C calls active when it runs): 1 for a chunk
// lua.c loads, more for loadstring called from Lua (puc.CCalls).
func compileAt(src []byte, chunkName string, calls int) (*lua.FunctionProto, error) {
	return compileSource(&source{data: src}, chunkName, calls)
}

// compileSource is compileAt for a source that may still be read (a
// retry parses the bytes the first parse read).
func compileSource(in *source, chunkName string, calls int) (*lua.FunctionProto, error) {
	native := map[int]bool{}
	for {
		proto, line, err := compileOnce(in, chunkName, native, calls)
		if err == nil || line < 0 {
			return proto, err
		}
		native[line] = true
	}
}

// compileOnce compiles src with the functions defined on the lines in
// native left unlowered. When gopher-lua runs out of registers in a
// function that was lowered, it returns that function's line to retry
// with; otherwise line is -1.
func compileOnce(in *source, chunkName string, native map[int]bool, calls int) (proto *lua.FunctionProto, line int, err error) {
	p := newSourceParser(in, chunkName, true)
	p.native = native
	p.depth = calls
	stmts, err := p.parse()
	if err != nil {
		return nil, -1, err
	}
	var used []int
	var names []string
	var falses []ast.Expr
	for op := range numOps {
		if p.used[op] {
			used = append(used, op)
			names = append(names, opLocals[op])
			falses = append(falses, &ast.FalseExpr{})
		}
	}
	if len(used) > 0 {
		// The prologue declares the hidden locals as false; bindOps turns
		// each LOADBOOL into a GETUPVAL of the state's operator.
		prologue := &ast.LocalAssignStmt{Names: names, Exprs: falses}
		line := 1
		if len(stmts) > 0 {
			line = stmts[0].Line()
		}
		prologue.SetLine(line)
		for _, e := range falses {
			e.SetLine(line)
		}
		stmts = append([]ast.Stmt{prologue}, stmts...)
	}
	ps := renumber(stmts)
	proto, err = lua.Compile(stmts, chunkName)
	if err != nil {
		var ce *lua.CompileError
		if !errors.As(err, &ce) {
			return nil, -1, err
		}
		ce.Line = ps.line(ce.Line)
		if !strings.Contains(ce.Message, "register overflow") && !strings.Contains(ce.Message, "too many local variables") {
			return nil, -1, &SyntaxError{File: chunkName, Line: ce.Line, Msg: ce.Message}
		}
		if !native[ce.Line] {
			return nil, ce.Line, err
		}
		at := p.peaks[ce.Line]
		if at == 0 {
			at = max(ce.Line, 1)
		}
		return nil, -1, &SyntaxError{File: chunkName, Line: at, Msg: fmt.Sprintf("function or expression too complex near line %d", at)}
	}
	if len(used) > 0 {
		if err := bindOps(proto, used); err != nil {
			return nil, -1, fmt.Errorf("compiling %s: %w", chunkName, err)
		}
	}
	ps.restore(proto)
	return proto, -1, nil
}

// encodeABC builds an instruction as gopher-lua lays it out (opcode.go):
// opcode in bits 26-31, A in 18-25, C in 9-17, B in 0-8.
func encodeABC(op, a, b, c int) uint32 {
	return uint32(op&0x3f)<<26 | uint32(a&0xff)<<18 | uint32(c&0x1ff)<<9 | uint32(b&0x1ff)
}

// bindOps rewrites the prologue so the hidden locals read the operators
// from the chunk's upvalues, which Load points at the state's operators.
// Only the first len(used) instructions change, one for one, so jumps,
// line info and local ranges stay valid.
func bindOps(proto *lua.FunctionProto, used []int) error {
	if len(proto.Code) < len(used) {
		return errors.New("dialect: prologue missing from compiled chunk")
	}
	for i, op := range used {
		ins := proto.Code[i]
		if ins != encodeABC(lua.OP_LOADBOOL, i, 0, 0) {
			return fmt.Errorf("dialect: unexpected prologue instruction %#08x at pc %d", ins, i)
		}
		proto.Code[i] = encodeABC(lua.OP_GETUPVAL, i, op, 0)
	}
	proto.NumUpvalues = numOps
	proto.DbgUpvalues = append([]string(nil), opLocals[:]...)
	return nil
}

func isBound(proto *lua.FunctionProto) bool {
	if int(proto.NumUpvalues) != numOps || len(proto.DbgUpvalues) != numOps {
		return false
	}
	for i, name := range proto.DbgUpvalues {
		if name != opLocals[i] {
			return false
		}
	}
	return true
}

// Load instantiates a proto made by Compile in L: a function with L's
// globals as environment and the operators bound, ready to be called with
// the chunk's arguments. The operators are built once per LState and kept
// in its registry.
func Load(L *lua.LState, proto *lua.FunctionProto) (*lua.LFunction, error) {
	fn := L.NewFunctionFromProto(proto)
	if proto.NumUpvalues == 0 {
		return fn, nil
	}
	if !isBound(proto) {
		return nil, errors.New("dialect: proto was not made by dialect.Compile")
	}
	ups, err := stateOps(L)
	if err != nil {
		return nil, err
	}
	fn.Upvalues = ups
	return fn, nil
}

const registryKey = "msyshost.dialect.ops"

// stateOps returns L's operator upvalues, creating them on first use.
// gopher-lua builds upvalues only for closures, so a tiny chunk receives
// the operator functions as locals and returns a closure over all of them;
// its closed upvalues are what every chunk in L shares.
func stateOps(L *lua.LState) ([]*lua.Upvalue, error) {
	reg, ok := L.Get(lua.RegistryIndex).(*lua.LTable)
	if !ok {
		return nil, errors.New("dialect: state has no registry")
	}
	if ud, ok := reg.RawGetString(registryKey).(*lua.LUserData); ok {
		if ups, ok := ud.Value.([]*lua.Upvalue); ok {
			return ups, nil
		}
	}
	proto, err := capturerProto()
	if err != nil {
		return nil, err
	}
	L.Push(L.NewFunctionFromProto(proto))
	for _, f := range opFuncs {
		L.Push(L.NewFunction(f))
	}
	if err := L.PCall(numOps, 1, nil); err != nil {
		return nil, fmt.Errorf("dialect: binding operators: %w", err)
	}
	closure, ok := L.Get(-1).(*lua.LFunction)
	L.Pop(1)
	if !ok || len(closure.Upvalues) != numOps {
		return nil, errors.New("dialect: binding operators: unexpected capture")
	}
	for i, name := range closure.Proto.DbgUpvalues {
		if name != capturerName(i) {
			return nil, errors.New("dialect: binding operators: upvalues out of order")
		}
	}
	ud := L.NewUserData()
	ud.Value = closure.Upvalues
	reg.RawSetString(registryKey, ud)
	return closure.Upvalues, nil
}

func capturerName(i int) string { return fmt.Sprintf("op%d", i) }

var capturer struct {
	once  sync.Once
	proto *lua.FunctionProto
	err   error
}

// capturerProto compiles "local op0, ... = ...; return function() return
// op0, ... end" once.
func capturerProto() (*lua.FunctionProto, error) {
	capturer.once.Do(func() {
		names := make([]string, numOps)
		for i := range names {
			names[i] = capturerName(i)
		}
		list := strings.Join(names, ", ")
		src := "local " + list + " = ...\nreturn function() return " + list + " end\n"
		stmts, err := newParser([]byte(src), "=dialect", false).parse()
		if err != nil {
			capturer.err = err
			return
		}
		capturer.proto, capturer.err = lua.Compile(stmts, "=dialect")
	})
	return capturer.proto, capturer.err
}
