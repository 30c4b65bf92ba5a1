package dialect

import (
	"strconv"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Big table constructors are lowered because gopher-lua's compiler gets
// them wrong twice: past 511 batches of FieldsPerFlush list items (25,550)
// it writes batch number 0 into the instruction after OP_SETLIST, so the
// rest of the list lands at indices -49..0 and is silently lost; and its
// constant lookup (funcContext.ConstIndex) scans the function's constants
// one by one, so a constructor of n distinct constants compiles in time
// proportional to n squared (20,000 fields took 3.4 s).
//
// A constructor with more than bigFields fields becomes a call of the
// hidden (fill), which builds the table by calling chunk functions in
// order:
//
//	{e1, k = v, e2, ..., en}
//	  ->  (fill)(narray, nhash, offset, {function((t), ...) (t)[1] = e1 (t).k = v (t)[2] = e2 ... end, ...}, ...)
//
// Each chunk function stores at most chunkFields fields with explicit
// indices, in source order, so no OP_SETLIST is emitted and each function
// has few constants. A last field that is a call or ... adds all its
// values: its chunk returns them and (fill) stores them from offset + 1.
// The enclosing function's varargs are passed to every chunk, so ... in
// a field means the same. Residue: a runtime error in a field names a
// local of the enclosing function as an upvalue, and tracebacks show the
// chunk function.
const (
	bigFields   = 512 // constructors with more fields are lowered
	chunkFields = 32  // fields per chunk function
	chunkNames  = 50  // distinct names per chunk, below PUC's 60 upvalues
)

// bigConstructor lowers the constructor fields that opened at line (see
// above); ok is false when the lowering's call does not fit the registers
// left.
func (p *parser) bigConstructor(fields []*ast.Field, line, lastLine, base int) (ast.Expr, bool) {
	if !p.callFits(base, 5+lua.FieldsPerFlush) {
		return nil, false
	}
	narray, nhash, offset := 0, 0, 0
	varargs := false
	var chunks []*ast.Field
	var stmts []ast.Stmt
	names := map[string]bool{}
	chunkVarargs := false
	flush := func(last int) {
		fn := &ast.FunctionExpr{ParList: &ast.ParList{Names: []string{"(t)"}, HasVargs: chunkVarargs}, Stmts: stmts}
		fn.SetLine(line)
		fn.SetLastLine(last)
		chunks = append(chunks, &ast.Field{Value: fn})
		stmts, names, chunkVarargs = nil, map[string]bool{}, false
	}
	for i, f := range fields {
		fieldNames := map[string]bool{}
		usesVarargs := exprNames(f.Value, fieldNames, true)
		if f.Key != nil && exprNames(f.Key, fieldNames, true) {
			usesVarargs = true
		}
		grown := 0
		for n := range fieldNames {
			if !names[n] {
				grown++
			}
		}
		if len(stmts) > 0 && (len(stmts) >= chunkFields || len(names)+grown > chunkNames) {
			flush(fields[i-1].Value.Line())
		}
		for n := range fieldNames {
			names[n] = true
		}
		chunkVarargs = chunkVarargs || usesVarargs
		varargs = varargs || usesVarargs
		t := hiddenIdent("(t)", f.Value.Line())
		switch {
		case f.Key != nil:
			nhash++
			target := &ast.AttrGetExpr{Object: t, Key: f.Key}
			target.SetLine(f.Value.Line())
			s := &ast.AssignStmt{Lhs: []ast.Expr{target}, Rhs: []ast.Expr{f.Value}}
			s.SetLine(f.Value.Line())
			stmts = append(stmts, s)
		case i == len(fields)-1 && isMultiValue(f.Value):
			s := &ast.ReturnStmt{Exprs: []ast.Expr{f.Value}}
			s.SetLine(f.Value.Line())
			stmts = append(stmts, s)
		default:
			narray++
			offset++
			key := &ast.NumberExpr{Value: strconv.Itoa(offset)}
			key.SetLine(f.Value.Line())
			target := &ast.AttrGetExpr{Object: t, Key: key}
			target.SetLine(f.Value.Line())
			s := &ast.AssignStmt{Lhs: []ast.Expr{target}, Rhs: []ast.Expr{f.Value}}
			s.SetLine(f.Value.Line())
			stmts = append(stmts, s)
		}
	}
	flush(lastLine)
	if len(chunks) > 511*lua.FieldsPerFlush {
		// The list of chunks would itself meet gopher-lua's OP_SETLIST bug.
		p.limitError("table constructor too large")
	}
	list := &ast.TableExpr{Fields: chunks}
	list.SetLine(line)
	num := func(n int) ast.Expr {
		e := &ast.NumberExpr{Value: strconv.Itoa(n)}
		e.SetLine(line)
		return e
	}
	args := []ast.Expr{num(narray), num(nhash), num(offset), list}
	if varargs {
		args = append(args, &ast.Comma3Expr{})
		args[len(args)-1].SetLine(line)
	}
	p.used[opFill] = true
	call := &ast.FuncCallExpr{Func: hiddenIdent(opLocals[opFill], line), Args: args, AdjustRet: true}
	call.SetLine(line)
	return call, true
}

// isMultiValue reports whether e, ending a list, gives all its values.
func isMultiValue(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.FuncCallExpr:
		return !e.AdjustRet
	case *ast.Comma3Expr:
		return !e.AdjustRet
	}
	return false
}

// exprNames adds to names every name e mentions, in nested functions too
// (an upper bound of the upvalues a function made of e needs), and reports
// whether e uses the varargs of the function it is in.
func exprNames(e ast.Expr, names map[string]bool, top bool) bool {
	uses := false
	walk := func(es ...ast.Expr) {
		for _, x := range es {
			if x != nil && exprNames(x, names, top) {
				uses = true
			}
		}
	}
	switch e := e.(type) {
	case *ast.IdentExpr:
		names[e.Value] = true
	case *ast.Comma3Expr:
		return top
	case *ast.FunctionExpr:
		stmtNames(e.Stmts, names)
	default:
		walk(subExprs(e)...)
	}
	return uses
}

// subExprs returns the expressions e is made of, in source order (nil for
// absent ones); a function's body is not among them. The walks of the
// dialect's passes (exprNames, positions.expr) share it.
func subExprs(e ast.Expr) []ast.Expr {
	switch e := e.(type) {
	case *ast.AttrGetExpr:
		return []ast.Expr{e.Object, e.Key}
	case *ast.TableExpr:
		out := make([]ast.Expr, 0, 2*len(e.Fields))
		for _, f := range e.Fields {
			out = append(out, f.Key, f.Value)
		}
		return out
	case *ast.FuncCallExpr:
		return append([]ast.Expr{e.Func, e.Receiver}, e.Args...)
	case *ast.LogicalOpExpr:
		return []ast.Expr{e.Lhs, e.Rhs}
	case *ast.RelationalOpExpr:
		return []ast.Expr{e.Lhs, e.Rhs}
	case *ast.StringConcatOpExpr:
		return []ast.Expr{e.Lhs, e.Rhs}
	case *ast.ArithmeticOpExpr:
		return []ast.Expr{e.Lhs, e.Rhs}
	case *ast.UnaryMinusOpExpr:
		return []ast.Expr{e.Expr}
	case *ast.UnaryNotOpExpr:
		return []ast.Expr{e.Expr}
	case *ast.UnaryLenOpExpr:
		return []ast.Expr{e.Expr}
	}
	return nil
}

// stmtNames adds the names statements mention (see exprNames); varargs
// there belong to their own function.
func stmtNames(stmts []ast.Stmt, names map[string]bool) {
	exprs := func(es ...ast.Expr) {
		for _, e := range es {
			if e != nil {
				exprNames(e, names, false)
			}
		}
	}
	for _, s := range stmts {
		switch s := s.(type) {
		case *ast.AssignStmt:
			exprs(s.Lhs...)
			exprs(s.Rhs...)
		case *ast.LocalAssignStmt:
			exprs(s.Exprs...)
		case *ast.FuncCallStmt:
			exprs(s.Expr)
		case *ast.DoBlockStmt:
			stmtNames(s.Stmts, names)
		case *ast.WhileStmt:
			exprs(s.Condition)
			stmtNames(s.Stmts, names)
		case *ast.RepeatStmt:
			exprs(s.Condition)
			stmtNames(s.Stmts, names)
		case *ast.IfStmt:
			exprs(s.Condition)
			stmtNames(s.Then, names)
			stmtNames(s.Else, names)
		case *ast.NumberForStmt:
			exprs(s.Init, s.Limit, s.Step)
			stmtNames(s.Stmts, names)
		case *ast.GenericForStmt:
			exprs(s.Exprs...)
			stmtNames(s.Stmts, names)
		case *ast.FuncDefStmt:
			exprs(s.Name.Func, s.Name.Receiver, s.Func)
		case *ast.ReturnStmt:
			exprs(s.Exprs...)
		}
	}
}

// fillOp is (fill)(narray, nhash, offset, chunks, ...): a new table
// filled by calling each chunk function with it and the varargs, in order;
// the values the last one returns are stored from offset + 1.
func fillOp(L *lua.LState) int {
	narray, nhash, offset := int(L.CheckNumber(1)), int(L.CheckNumber(2)), int(L.CheckNumber(3))
	chunks := L.CheckTable(4)
	nvar := L.GetTop() - 4
	t := L.CreateTable(narray, nhash)
	n := chunks.Len()
	for i := 1; i <= n; i++ {
		top := L.GetTop()
		L.Push(chunks.RawGetInt(i))
		L.Push(t)
		for j := 5; j < 5+nvar; j++ {
			L.Push(L.Get(j))
		}
		L.Call(1+nvar, lua.MultRet)
		for k := top + 1; k <= L.GetTop(); k++ {
			if v := L.Get(k); v != lua.LNil {
				t.RawSetInt(offset+k-top, v)
			}
		}
		L.SetTop(top)
	}
	L.Push(t)
	return 1
}
