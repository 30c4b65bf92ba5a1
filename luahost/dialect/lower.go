package dialect

import (
	"strconv"

	"github.com/yuin/gopher-lua/ast"
)

// Statements gopher-lua's compiler gets wrong for plain Lua are rewritten
// into forms it compiles correctly, with hidden locals (names that are
// not identifiers) for the temporaries PUC keeps in registers.

// multiAssign lowers v1, ..., vn = e1, ..., em (n > 1). gopher-lua compiles
// each right-hand expression straight into a local target's register, so
// a, b = b, a reads the new a (upstream issue #440), and it reads an index
// after the assignment in acc[i], i = i, i+1. PUC's order (lparser.c
// restassign, check_conflict) is: the object and key of each indexed
// target, left to right; then e1 ... em; then the stores, right to left.
// So the statement becomes, with hidden locals numbered (1), (2), ...
// (shown here by role),
//
//	do local (obj1), (key1), ..., (v1), ..., (vn) = obj1, key1, ..., e1, ..., em
//	   vn = (vn) ... v1 = (v1) end
//
// An object or key that is a constant keeps its place. One that is a
// local of this function stays a register read at store time, as in PUC,
// unless a later target assigns that local: PUC copies it then
// (check_conflict), and so does this.
func (p *parser) multiAssign(lhs, rhs []ast.Expr) ast.Stmt {
	line, last := lhs[0].Line(), p.lastLine
	var names []string
	var exprs []ast.Expr
	temp := func(e ast.Expr) ast.Expr {
		name := "(" + strconv.Itoa(len(names)+1) + ")"
		names = append(names, name)
		exprs = append(exprs, e)
		return hiddenIdent(name, e.Line())
	}
	targets := make([]ast.Expr, len(lhs))
	for i, t := range lhs {
		switch t := t.(type) {
		case *ast.IdentExpr:
			id := &ast.IdentExpr{Value: t.Value}
			id.SetLine(last)
			targets[i] = id
		case *ast.AttrGetExpr:
			keep := func(e ast.Expr) bool {
				switch e := e.(type) {
				case *ast.StringExpr, *ast.NumberExpr, *ast.NilExpr, *ast.TrueExpr, *ast.FalseExpr:
					return true
				case *ast.IdentExpr:
					return p.resolve(e.Value) == "local" && !assignsLocal(lhs[i+1:], e.Value)
				}
				return false
			}
			obj, key := t.Object, t.Key
			if !keep(obj) {
				obj = temp(obj)
			}
			if !keep(key) {
				key = temp(key)
			}
			get := &ast.AttrGetExpr{Object: obj, Key: key}
			get.SetLine(last)
			targets[i] = get
		}
	}
	values := make([]ast.Expr, len(lhs))
	for i := range lhs {
		name := "(" + strconv.Itoa(len(names)+1) + ")"
		names = append(names, name)
		values[i] = hiddenIdent(name, last)
	}
	exprs = append(exprs, rhs...)
	// Each store moves its value through one more register.
	if !p.claim(len(names) + 1) {
		s := &ast.AssignStmt{Lhs: lhs, Rhs: rhs}
		s.SetLine(line)
		return s
	}
	decl := &ast.LocalAssignStmt{Names: names, Exprs: exprs}
	decl.SetLine(line)
	stmts := []ast.Stmt{decl}
	for i := len(targets) - 1; i >= 0; i-- {
		s := &ast.AssignStmt{Lhs: []ast.Expr{targets[i]}, Rhs: []ast.Expr{values[i]}}
		s.SetLine(last)
		stmts = append(stmts, s)
	}
	block := &ast.DoBlockStmt{Stmts: stmts}
	block.SetLine(line)
	block.SetLastLine(last)
	return block
}

// assignsLocal reports whether one of targets is the variable name (which
// resolves to a local where the statement is).
func assignsLocal(targets []ast.Expr, name string) bool {
	for _, t := range targets {
		if id, ok := t.(*ast.IdentExpr); ok && id.Value == name {
			return true
		}
	}
	return false
}

func hiddenIdent(name string, line int) *ast.IdentExpr {
	id := &ast.IdentExpr{Value: name}
	id.SetLine(line)
	return id
}

// isNumeral reports whether e is a numeric literal, possibly negated:
// a for bound that can never fail PUC's check.
func isNumeral(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.NumberExpr:
		return true
	case *ast.UnaryMinusOpExpr:
		return isNumeral(e.Expr)
	}
	return false
}

// forBoundList lists the bounds of a numeric for that are present.
func forBoundList(s *ast.NumberForStmt) []*ast.Expr {
	bounds := []*ast.Expr{&s.Init, &s.Limit}
	if s.Step != nil {
		bounds = append(bounds, &s.Step)
	}
	return bounds
}

// boundSpan returns the positions of the first and last bounds of s that
// are not numerals, -1 when all are.
func boundSpan(s *ast.NumberForStmt) (first, last int) {
	first, last = -1, -1
	for i, b := range forBoundList(s) {
		if !isNumeral(*b) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last
}

// forBounds makes a numeric for coerce its bounds as PUC's OP_FORPREP
// does: numeric strings become numbers, anything else fails with "'for'
// initial value must be a number" (limit, step) at the line of 'do'.
// gopher-lua rejects strings and words the error its own way. One host
// call per loop entry for the bounds first..last (boundSpan), none when
// every bound is a numeral:
//
//	for i = 1, n do       ->  for i = 1, (fornum)(1, n) do
//	for i = a, b, c do    ->  do local (forinit), (forlimit), (forstep) = (fornum)(0, a, b, c)
//	                            for i = (forinit), (forlimit), (forstep) do ... end end
//
// (fornum)'s first argument is the position of the first bound it gets;
// it checks them in order only after all were evaluated, as in PUC.
func (p *parser) forBounds(s *ast.NumberForStmt, first, last, doLine int) ast.Stmt {
	bounds := forBoundList(s)
	pos := &ast.NumberExpr{Value: strconv.Itoa(first)}
	pos.SetLine(doLine)
	args := []ast.Expr{pos}
	for _, b := range bounds[first : last+1] {
		adjustOne(*b)
		args = append(args, *b)
	}
	p.used[opForNum] = true
	fn := hiddenIdent(opLocals[opForNum], doLine)
	call := &ast.FuncCallExpr{Func: fn, Args: args, AdjustRet: first == last}
	call.SetLine(doLine)
	if first == last {
		*bounds[first] = call
		return s
	}
	names := []string{"(forinit)", "(forlimit)", "(forstep)"}[first : last+1]
	for i, name := range names {
		*bounds[first+i] = hiddenIdent(name, doLine)
	}
	decl := &ast.LocalAssignStmt{Names: names, Exprs: []ast.Expr{call}}
	decl.SetLine(s.Line())
	block := &ast.DoBlockStmt{Stmts: []ast.Stmt{decl, s}}
	block.SetLine(s.Line())
	block.SetLastLine(s.LastLine())
	return block
}
