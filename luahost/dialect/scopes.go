package dialect

import (
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// gopher-lua's compiler records where each local's scope ends into the
// wrong entry of FunctionProto.DbgLocals (it indexes them by register), so
// debug.getlocal and the names in error messages see locals of blocks that
// have ended, or lose locals still in scope. Its instructions only carry
// lines, which cannot tell where a block ends on a line with more code.
// So Compile hands gopher-lua the AST with every line replaced by a
// position number, increasing in source order (a statement's number
// before its parts', its last line's after them), and afterwards reads
// each instruction's statement from its number: a local's scope ends
// before the first instruction past the block that declared it. Then the
// real lines are put back.

// positions is what renumbering learnt about the AST.
type positions struct {
	real     []int       // position -> source line
	owner    []int       // position -> the position of its statement
	blockEnd []int       // statement position -> the last position of its block
	stmtEnd  map[int]int // statement position -> its last position
	declares map[int][]string
}

func (ps *positions) next(line, owner int) int {
	ps.real = append(ps.real, line)
	ps.owner = append(ps.owner, owner)
	ps.blockEnd = append(ps.blockEnd, 0)
	return len(ps.real) - 1
}

// renumber replaces the lines of the chunk's nodes by positions.
func renumber(stmts []ast.Stmt) *positions {
	ps := &positions{declares: map[int][]string{}, stmtEnd: map[int]int{}}
	ps.next(0, 0) // position 0 is line 0
	ps.block(stmts)
	return ps
}

// block numbers a block's statements, then records where it ends.
func (ps *positions) block(stmts []ast.Stmt) {
	var own []int
	for _, s := range stmts {
		own = append(own, ps.stmt(s))
	}
	end := len(ps.real) - 1
	for _, p := range own {
		ps.blockEnd[p] = end
	}
}

// stmt numbers a statement and returns its position.
func (ps *positions) stmt(s ast.Stmt) int {
	line := s.Line()
	p := ps.next(line, 0)
	ps.owner[p] = p
	last := s.LastLine()
	if last == 0 {
		last = line
	}
	s.SetLine(p)
	exprs := func(es ...ast.Expr) {
		for _, e := range es {
			if e != nil {
				ps.expr(e, p)
			}
		}
	}
	switch s := s.(type) {
	case *ast.AssignStmt:
		exprs(s.Lhs...)
		exprs(s.Rhs...)
	case *ast.LocalAssignStmt:
		exprs(s.Exprs...)
		ps.declares[p] = s.Names
	case *ast.FuncCallStmt:
		exprs(s.Expr)
	case *ast.DoBlockStmt:
		ps.block(s.Stmts)
	case *ast.WhileStmt:
		exprs(s.Condition)
		ps.block(s.Stmts)
	case *ast.RepeatStmt:
		ps.block(s.Stmts)
		exprs(s.Condition)
	case *ast.IfStmt:
		exprs(s.Condition)
		ps.block(s.Then)
		ps.block(s.Else)
	case *ast.NumberForStmt:
		exprs(s.Init, s.Limit, s.Step)
		ps.declares[p] = []string{"(for index)", "(for limit)", "(for step)", s.Name}
		ps.block(s.Stmts)
	case *ast.GenericForStmt:
		exprs(s.Exprs...)
		ps.declares[p] = append([]string{"(for generator)", "(for state)", "(for control)"}, s.Names...)
		ps.block(s.Stmts)
	case *ast.FuncDefStmt:
		exprs(s.Name.Func, s.Name.Receiver, s.Func)
	case *ast.ReturnStmt:
		exprs(s.Exprs...)
	}
	// The statement's last line (a loop's jump back) comes after its parts.
	end := ps.next(last, p)
	s.SetLastLine(end)
	ps.stmtEnd[p] = end
	return p
}

// expr numbers an expression of the statement at position owner.
func (ps *positions) expr(e ast.Expr, owner int) {
	line := e.Line()
	e.SetLine(ps.next(line, owner))
	exprs := func(es ...ast.Expr) {
		for _, x := range es {
			if x != nil {
				ps.expr(x, owner)
			}
		}
	}
	switch e := e.(type) {
	default:
		exprs(subExprs(e)...)
	case *ast.FunctionExpr:
		last := e.LastLine()
		if last == 0 {
			last = line
		}
		ps.block(e.Stmts)
		e.SetLastLine(ps.next(last, owner))
	}
}

// line is the source line of a position; lines that are not positions
// (gopher-lua's own) pass through.
func (ps *positions) line(p int) int {
	if p >= 0 && p < len(ps.real) {
		return ps.real[p]
	}
	return p
}

// restore corrects proto's local scopes from its instructions' positions
// and puts the source lines back, in it and its nested functions.
func (ps *positions) restore(proto *lua.FunctionProto) {
	pos := append([]int(nil), proto.DbgSourcePositions...)
	for _, lv := range proto.DbgLocals {
		end, ok := ps.scopeEnd(lv, pos)
		if ok {
			lv.EndPc = end
		}
	}
	for pc, p := range proto.DbgSourcePositions {
		proto.DbgSourcePositions[pc] = ps.line(p)
	}
	if proto.LineDefined != 0 {
		proto.LineDefined = ps.line(proto.LineDefined)
	}
	proto.LastLineDefined = ps.line(proto.LastLineDefined)
	for _, child := range proto.FunctionPrototypes {
		ps.restore(child)
	}
}

// scopeEnd is the last instruction where lv is in scope: before the first
// instruction, from the one that activates it, whose position is past the
// block of the statement that declared it. Parameters (active from the
// start) last to the function's end.
func (ps *positions) scopeEnd(lv *lua.DbgLocalInfo, pos []int) (int, bool) {
	if lv.StartPc <= 0 {
		return len(pos) - 1, true
	}
	decl := -1
	for _, pc := range []int{lv.StartPc - 1, lv.StartPc} {
		if pc >= len(pos) || pos[pc] <= 0 || pos[pc] >= len(ps.owner) {
			continue
		}
		s := ps.owner[pos[pc]]
		for _, name := range ps.declares[s] {
			if name == lv.Name {
				decl = s
			}
		}
		if decl >= 0 {
			break
		}
	}
	if decl < 0 {
		return 0, false
	}
	limit := ps.blockEnd[decl]
	if ps.isFor(decl) {
		limit = ps.stmtEnd[decl]
	}
	for pc := lv.StartPc; pc < len(pos); pc++ {
		if pos[pc] > limit {
			return pc - 1, true
		}
	}
	return len(pos) - 1, true
}

// isFor reports whether the statement at position p is a for loop, whose
// locals last to its own end rather than its block's.
func (ps *positions) isFor(p int) bool {
	names := ps.declares[p]
	return len(names) > 0 && (names[0] == "(for index)" || names[0] == "(for generator)")
}
