package dialect

import (
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Statements: the parser's half that reads statements and blocks
// (lparser.c's statement functions); expressions are in expr.go.

func blockFollow(kind int) bool {
	switch kind {
	case tkElse, tkElseif, tkEnd, tkUntil, tkEOS:
		return true
	}
	return false
}

// chunk parses statements up to a block end; a return or break ends it.
func (p *parser) chunk() []ast.Stmt {
	p.enterLevel()
	stmts := []ast.Stmt{}
	for !blockFollow(p.tok.kind) {
		if p.tok.kind == tkReturn || p.tok.kind == tkBreak {
			stmts = append(stmts, p.lastStatement())
			p.testNext(';')
			break
		}
		stmts = append(stmts, p.statement())
		p.testNext(';')
	}
	p.leaveLevel()
	return stmts
}

func (p *parser) block() []ast.Stmt {
	p.enterBlock(false)
	stmts := p.chunk()
	p.leaveBlock()
	return stmts
}

func (p *parser) lastStatement() ast.Stmt {
	line := p.tok.line
	if p.tok.kind == tkBreak {
		p.next()
		if !p.inLoop() {
			p.syntaxError("no loop to break")
		}
		s := &ast.BreakStmt{}
		s.SetLine(line)
		return s
	}
	p.next()
	s := &ast.ReturnStmt{}
	if !blockFollow(p.tok.kind) && p.tok.kind != ';' {
		s.Exprs = p.exprList()
	}
	s.SetLine(line)
	return s
}

func (p *parser) statement() ast.Stmt {
	line := p.tok.line
	switch p.tok.kind {
	case tkIf:
		return p.ifStat(line)
	case tkWhile:
		p.next()
		cond := p.expr()
		p.enterBlock(true)
		p.checkNext(tkDo)
		body := p.block()
		p.leaveBlock()
		end := p.checkMatch(tkEnd, tkWhile, line)
		s := &ast.WhileStmt{Condition: cond, Stmts: body}
		s.SetLine(line)
		s.SetLastLine(end.line)
		return s
	case tkDo:
		p.next()
		body := p.block()
		end := p.checkMatch(tkEnd, tkDo, line)
		s := &ast.DoBlockStmt{Stmts: body}
		s.SetLine(line)
		s.SetLastLine(end.line)
		return s
	case tkFor:
		return p.forStat(line)
	case tkRepeat:
		p.next()
		p.enterBlock(true)
		p.enterBlock(false)
		body := p.chunk()
		p.checkMatch(tkUntil, tkRepeat, line)
		cond := p.expr()
		p.leaveBlock()
		p.leaveBlock()
		s := &ast.RepeatStmt{Condition: cond, Stmts: body}
		s.SetLine(line)
		s.SetLastLine(cond.Line())
		return s
	case tkFunction:
		return p.funcStat(line)
	case tkLocal:
		p.next()
		if p.testNext(tkFunction) {
			name := p.checkName()
			p.checkLocals(1)
			p.activate(name.str)
			fn := p.body(false, p.tok.endLine, p.tok.line)
			s := &ast.LocalAssignStmt{Names: []string{name.str}, Exprs: []ast.Expr{fn}}
			s.SetLine(line)
			s.SetLastLine(fn.LastLine())
			return s
		}
		return p.localStat(line)
	default:
		return p.exprStat()
	}
}

func (p *parser) ifStat(line int) ast.Stmt {
	p.next()
	cond := p.expr()
	p.checkNext(tkThen)
	top := &ast.IfStmt{Condition: cond, Then: p.block()}
	cur := top
	for p.tok.kind == tkElseif {
		eline := p.tok.line
		p.next()
		cond := p.expr()
		p.checkNext(tkThen)
		elseif := &ast.IfStmt{Condition: cond, Then: p.block()}
		elseif.SetLine(eline)
		cur.Else = []ast.Stmt{elseif}
		cur = elseif
	}
	if p.testNext(tkElse) {
		cur.Else = p.block()
	}
	end := p.checkMatch(tkEnd, tkIf, line)
	top.SetLine(line)
	top.SetLastLine(end.line)
	return top
}

func (p *parser) forStat(line int) ast.Stmt {
	p.next()
	p.enterBlock(true)
	defer p.leaveBlock()
	name := p.checkName()
	switch p.tok.kind {
	case '=':
		p.next()
		base, outerHW := p.live(), p.fs.hw
		p.fs.hw = base
		init := p.expr()
		p.checkNext(',')
		p.hold(1) // each bound waits in its register for the next
		limit := p.expr()
		var step ast.Expr
		if p.testNext(',') {
			p.hold(1)
			step = p.expr()
			p.release(1)
		}
		p.release(1)
		// Lowered, the bounds are evaluated two registers higher: above
		// (fornum) and its first argument.
		boundsTop := p.fs.hw + 2
		p.fs.hw = max(outerHW, p.fs.hw)
		p.checkLocals(4)
		p.activate("(for index)", "(for limit)", "(for step)")
		doLine := p.tok.endLine // PUC's FORPREP carries the line of 'do'
		s := &ast.NumberForStmt{Name: name.str, Init: init, Limit: limit, Step: step}
		outer, outerAt := p.fs.peak, p.fs.peakAt
		p.fs.peak = 0
		s.Stmts = p.forBody(name.str)
		first, last := -1, -1
		if p.lowering() {
			first, last = boundSpan(s)
			// Two or more bounds go through hidden locals that stay live
			// during the loop: only if the body's locals still fit.
			switch live := last - first + 1; {
			case first < 0:
			case boundsTop > gopherMaxRegisters:
				first = -1
			case live > 1 && p.fs.peak+live > gopherMaxRegisters:
				first = -1
			case live > 1:
				p.fs.peak = max(p.fs.peak+live, boundsTop)
			default:
				p.fs.peak = max(p.fs.peak, boundsTop)
			}
		}
		if outer >= p.fs.peak {
			p.fs.peak, p.fs.peakAt = outer, outerAt
		}
		end := p.checkMatch(tkEnd, tkFor, line)
		s.SetLine(line)
		s.SetLastLine(end.line)
		if first >= 0 {
			return p.forBounds(s, first, last, doLine)
		}
		return s
	case ',', tkIn:
		names := []string{name.str}
		for p.testNext(',') {
			names = append(names, p.checkName().str)
		}
		p.checkNext(tkIn)
		// PUC's OP_TFORLOOP, where a generator that cannot be called
		// fails, carries the line of the token after 'in'; gopher-lua
		// gives it the statement's.
		exprLine := p.tok.line
		exprs := p.exprList()
		p.checkLocals(3 + len(names))
		p.activate("(for generator)", "(for state)", "(for control)")
		body := p.forBody(names...)
		end := p.checkMatch(tkEnd, tkFor, line)
		s := &ast.GenericForStmt{Names: names, Exprs: exprs, Stmts: body}
		s.SetLine(exprLine)
		s.SetLastLine(end.line)
		return s
	default:
		p.syntaxError("'=' or 'in' expected")
		return nil
	}
}

func (p *parser) forBody(names ...string) []ast.Stmt {
	p.checkNext(tkDo)
	p.enterBlock(false)
	p.activate(names...)
	body := p.block()
	p.leaveBlock()
	return body
}

func (p *parser) funcStat(line int) ast.Stmt {
	p.next()
	name := p.checkName()
	p.resolve(name.str)
	fn := ast.Expr(&ast.IdentExpr{Value: name.str})
	fn.SetLine(name.line)
	fname := &ast.FuncName{Func: fn}
	method := false
	for p.tok.kind == '.' {
		p.next()
		key := p.checkName()
		k := &ast.StringExpr{Value: key.str}
		k.SetLine(key.line)
		get := &ast.AttrGetExpr{Object: fname.Func, Key: k}
		get.SetLine(key.line)
		fname.Func = get
	}
	if p.testNext(':') {
		m := p.checkName()
		fname = &ast.FuncName{Receiver: fname.Func, Method: m.str}
		method = true
	}
	body := p.body(method, line, p.tok.line)
	s := &ast.FuncDefStmt{Name: fname, Func: body}
	s.SetLine(line)
	s.SetLastLine(body.LastLine())
	return s
}

func (p *parser) localStat(line int) ast.Stmt {
	var names []string
	for {
		names = append(names, p.checkName().str)
		if !p.testNext(',') {
			break
		}
	}
	p.checkLocals(len(names))
	exprs := []ast.Expr{}
	if p.testNext('=') {
		exprs = p.exprList()
	}
	p.activate(names...)
	s := &ast.LocalAssignStmt{Names: names, Exprs: exprs}
	s.SetLine(line)
	return s
}

func (p *parser) exprStat() ast.Stmt {
	e, kind := p.primaryExpr()
	if kind == kindCall {
		s := &ast.FuncCallStmt{Expr: e}
		s.SetLine(e.Line())
		return s
	}
	lhs := []ast.Expr{e}
	// gopher-lua puts an indexed target's object and key in registers
	// before it evaluates what follows.
	held := 0
	for {
		if kind != kindVar {
			p.syntaxError("syntax error")
		}
		if _, ok := e.(*ast.AttrGetExpr); ok {
			p.hold(2)
			held += 2
		}
		if !p.testNext(',') {
			break
		}
		e, kind = p.primaryExpr()
		lhs = append(lhs, e)
	}
	p.checkNext('=')
	rhs := p.exprList()
	p.release(held)
	if p.lowering() && len(lhs) > 1 {
		return p.multiAssign(lhs, rhs)
	}
	s := &ast.AssignStmt{Lhs: lhs, Rhs: rhs}
	s.SetLine(lhs[0].Line())
	return s
}

// body parses a function body from '(' to 'end'; line is the line PUC
// names in "(to close 'function' at line N)", defined the line the
// FunctionExpr will carry (gopher-lua's LineDefined).
func (p *parser) body(method bool, line, defined int) *ast.FunctionExpr {
	open := p.checkNext('(')
	p.openFunc(line, defined)
	defer p.closeFunc()
	par := &ast.ParList{Names: []string{}}
	if method {
		p.activate("self")
	}
	if p.tok.kind != ')' {
		for {
			switch p.tok.kind {
			case tkName:
				par.Names = append(par.Names, p.tok.str)
				p.next()
			case tkDots:
				p.next()
				par.HasVargs = true
			default:
				p.syntaxError("<name> or '...' expected")
			}
			if par.HasVargs || !p.testNext(',') {
				break
			}
		}
	}
	p.checkLocals(len(par.Names))
	p.fs.vararg = par.HasVargs
	if par.HasVargs && lua.CompatVarArg {
		p.fs.hidden = 1 // gopher-lua declares the local arg after the parameters
	}
	p.activate(par.Names...)
	p.checkNext(')')
	stmts := p.chunk()
	end := p.checkMatch(tkEnd, tkFunction, line)
	fn := &ast.FunctionExpr{ParList: par, Stmts: stmts}
	fn.SetLine(open.line)
	fn.SetLastLine(end.line)
	return fn
}
