package dialect

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// exprKind is what lparser.c's expdesc kind tells the statement parser:
// a variable may be assigned, a call may stand as a statement.
type exprKind int

const (
	kindOther exprKind = iota
	kindVar
	kindCall
)

// priority is thrlua's priority[] table (lparser.c, ORDER OPR): left and
// right binding power of each binary operator. The bitwise operators share
// the levels of Lua's arithmetic: | & ^^ bind like + -, and << >> \ like
// * / %. Concatenation and ^ are right associative.
func priority(kind int) (left, right int, ok bool) {
	switch kind {
	case '+', '-', '|', '&', tkXor:
		return 6, 6, true
	case '*', '/', '%', tkShl, tkShr, '\\':
		return 7, 7, true
	case '^':
		return 10, 9, true
	case tkConcat:
		return 5, concatRight, true
	case tkEq, tkNe, '<', tkLe, '>', tkGe:
		return 3, 3, true
	case tkAnd:
		return 2, 2, true
	case tkOr:
		return 1, 1, true
	}
	return 0, 0, false
}

// concatRight is the right priority of .., which no other operator has:
// subexpr(concatRight) parses the rest of a concatenation chain.
const concatRight = 4

// unaryPriority is UNARY_PRIORITY: not - # ~ ! bind tighter than every
// binary operator but ^.
const unaryPriority = 8

func isUnary(kind int) bool {
	switch kind {
	case tkNot, '-', '#', '~', '!':
		return true
	}
	return false
}

func (p *parser) expr() ast.Expr {
	e, _ := p.subexpr(0)
	return e
}

// exprList parses e1, e2, ...; each value is held in a register while
// the next is parsed.
func (p *parser) exprList() []ast.Expr {
	list := []ast.Expr{p.expr()}
	for p.testNext(',') {
		p.hold(1)
		list = append(list, p.expr())
	}
	p.release(len(list) - 1)
	return list
}

// subexpr parses operators whose left priority exceeds limit, as
// lparser.c's subexpr. It measures the registers its operands need (hw
// from base) for the lowerings to decide whether they fit.
func (p *parser) subexpr(limit int) (ast.Expr, exprKind) {
	p.enterLevel()
	base, outer := p.live(), p.fs.hw
	p.fs.hw = base
	defer func() { p.fs.hw = max(outer, p.fs.hw) }()
	p.need(1) // the value's own register
	var e ast.Expr
	kind := kindOther
	if isUnary(p.tok.kind) {
		op := p.tok.kind
		p.next()
		operand, _ := p.subexpr(unaryPriority)
		e = p.unary(op, operand, base)
	} else {
		e, kind = p.simpleExpr()
	}
	for {
		op := p.tok.kind
		left, right, ok := priority(op)
		if !ok || left <= limit {
			break
		}
		p.next()
		p.hold(1) // the left operand's register (and, or: the result's)
		rhs, _ := p.subexpr(right)
		p.release(1)
		e = p.binary(op, e, rhs, base, limit == concatRight)
		kind = kindOther
	}
	p.leaveLevel()
	return e, kind
}

func (p *parser) unary(op int, operand ast.Expr, base int) ast.Expr {
	var e ast.Expr
	switch op {
	case '-':
		e = &ast.UnaryMinusOpExpr{Expr: operand}
	case '#':
		e = &ast.UnaryLenOpExpr{Expr: operand}
	case '~':
		return p.opCall(base, opBnot, operand)
	default: // not, !
		e = &ast.UnaryNotOpExpr{Expr: operand}
	}
	e.SetLine(operand.Line())
	return e
}

var arithOps = map[int]string{'+': "+", '-': "-", '*': "*", '/': "/", '%': "%", '^': "^"}
var relOps = map[int]string{tkEq: "==", tkNe: "~=", '<': "<", tkLe: "<=", '>': ">", tkGe: ">="}
var bitOps = map[int]int{'&': opBand, '|': opBor, tkXor: opBxor, tkShl: opShl, tkShr: opShr, '\\': opIntDiv}

// binary builds lhs op rhs, an expression begun with base registers live.
// chained says it continues a concatenation chain (a .. b .. c parses as
// a .. (b .. c)): a .. stays a node until the whole chain is known.
func (p *parser) binary(op int, lhs, rhs ast.Expr, base int, chained bool) ast.Expr {
	var e ast.Expr
	switch {
	case op == tkConcat:
		if p.lowering() && !chained {
			return p.concat(lhs, rhs, base)
		}
		c := &ast.StringConcatOpExpr{Lhs: lhs, Rhs: rhs}
		if p.lowering() {
			if p.chained == nil {
				p.chained = map[*ast.StringConcatOpExpr]bool{}
			}
			p.chained[c] = true
		}
		e = c
	case op == tkAnd:
		e = &ast.LogicalOpExpr{Operator: "and", Lhs: lhs, Rhs: rhs}
	case op == tkOr:
		e = &ast.LogicalOpExpr{Operator: "or", Lhs: lhs, Rhs: rhs}
	case op == '^' && p.lowering() && !foldsExactly(lhs, rhs) && p.callFits(base, 2):
		return p.opCall(base, opPow, lhs, rhs)
	case arithOps[op] != "":
		e = &ast.ArithmeticOpExpr{Operator: arithOps[op], Lhs: lhs, Rhs: rhs}
	case relOps[op] != "":
		e = &ast.RelationalOpExpr{Operator: relOps[op], Lhs: lhs, Rhs: rhs}
	default:
		return p.opCall(base, bitOps[op], lhs, rhs)
	}
	e.SetLine(lhs.Line())
	return e
}

// foldsExactly reports whether gopher-lua's compiler folds lhs ^ rhs to
// the number PUC computes: both operands constant and the power not NaN
// (Go's NaN is positive, C's pow gives a negative one). Other powers are
// lowered onto number.Pow.
func foldsExactly(lhs, rhs ast.Expr) bool {
	a, ok := constValue(lhs)
	if !ok {
		return false
	}
	b, ok := constValue(rhs)
	return ok && !math.IsNaN(math.Pow(a, b))
}

// constValue is the number gopher-lua's constFold makes of e, if any.
func constValue(e ast.Expr) (float64, bool) {
	switch e := e.(type) {
	case *ast.NumberExpr:
		if v, err := strconv.ParseInt(e.Value, 0, 64); err == nil {
			return float64(v), true
		}
		v, err := strconv.ParseFloat(e.Value, 64)
		return v, err == nil
	case *ast.UnaryMinusOpExpr:
		v, ok := constValue(e.Expr)
		return -v, ok
	case *ast.ArithmeticOpExpr:
		a, ok := constValue(e.Lhs)
		if !ok {
			return 0, false
		}
		b, ok := constValue(e.Rhs)
		if !ok {
			return 0, false
		}
		switch e.Operator {
		case "+":
			return a + b, true
		case "-":
			return a - b, true
		case "*":
			return a * b, true
		case "/":
			return a / b, true
		case "^":
			return math.Pow(a, b), true
		}
	}
	return 0, false
}

// concat lowers lhs .. rhs into one call of the hidden concat over the
// whole right-associative chain, as PUC compiles the chain into one
// OP_CONCAT. A chain of string literals only is folded. A chain whose call
// would not fit the registers left stays gopher-lua's OP_CONCAT, which
// needs two fewer.
func (p *parser) concat(lhs, rhs ast.Expr, base int) ast.Expr {
	operands := []ast.Expr{lhs}
	for {
		c, ok := rhs.(*ast.StringConcatOpExpr)
		if !ok || !p.chained[c] {
			break
		}
		delete(p.chained, c)
		operands = append(operands, c.Lhs)
		rhs = c.Rhs
	}
	operands = append(operands, rhs)
	var folded strings.Builder
	for _, o := range operands {
		s, ok := o.(*ast.StringExpr)
		if !ok {
			if !p.callFits(base, len(operands)) {
				return nativeConcat(operands)
			}
			return p.opCall(base, opConcat, operands...)
		}
		folded.WriteString(s.Value)
	}
	e := &ast.StringExpr{Value: folded.String()}
	e.SetLine(lhs.Line())
	return e
}

// nativeConcat is the chain as gopher-lua's parser builds it.
func nativeConcat(operands []ast.Expr) ast.Expr {
	e := operands[len(operands)-1]
	for i := len(operands) - 2; i >= 0; i-- {
		c := &ast.StringConcatOpExpr{Lhs: operands[i], Rhs: e}
		c.SetLine(operands[i].Line())
		e = c
	}
	return e
}

// opCall builds the call of a hidden operator local. Its line is the line
// of the last token of the operation, where PUC puts the instruction, so
// runtime errors carry the same line. A constant string argument names the
// operands for error messages ("global 'x'"), as PUC's debug info does; for
// concat it comes first, for the others last and only when not empty.
func (p *parser) opCall(base, op int, operands ...ast.Expr) ast.Expr {
	p.used[op] = true
	p.reach(p.callTop(base, len(operands)))
	line := p.lastLine
	descs := make([]string, len(operands))
	named := false
	for i, o := range operands {
		descs[i] = p.describe(o)
		named = named || descs[i] != ""
		adjustOne(o)
	}
	desc := &ast.StringExpr{Value: strings.Join(descs, "\x00")}
	desc.SetLine(line)
	var args []ast.Expr
	switch {
	case op == opConcat:
		args = append([]ast.Expr{desc}, operands...)
	case named:
		args = append(operands, desc)
	default:
		args = operands
	}
	fn := &ast.IdentExpr{Value: opLocals[op]}
	fn.SetLine(line)
	call := &ast.FuncCallExpr{Func: fn, Args: args, AdjustRet: true}
	call.SetLine(line)
	return call
}

// adjustOne makes an operand one value even when it ends an argument
// list.
func adjustOne(e ast.Expr) {
	switch e := e.(type) {
	case *ast.FuncCallExpr:
		e.AdjustRet = true
	case *ast.Comma3Expr:
		e.AdjustRet = true
	}
}

func isLowered(e ast.Expr) bool {
	c, ok := e.(*ast.FuncCallExpr)
	if !ok {
		return false
	}
	id, ok := c.Func.(*ast.IdentExpr)
	return ok && strings.HasPrefix(id.Value, "(")
}

// describe names an operand as getobjname in ldebug.c does.
func (p *parser) describe(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.IdentExpr:
		return p.resolve(e.Value) + " '" + e.Value + "'"
	case *ast.AttrGetExpr:
		if k, ok := e.Key.(*ast.StringExpr); ok {
			return "field '" + k.Value + "'"
		}
		return "field '?'"
	}
	return ""
}

func (p *parser) simpleExpr() (ast.Expr, exprKind) {
	tok := p.tok
	var e ast.Expr
	switch tok.kind {
	case tkNumber:
		e = &ast.NumberExpr{Value: numberText(tok)}
	case tkString:
		e = &ast.StringExpr{Value: tok.str}
	case tkNil:
		e = &ast.NilExpr{}
	case tkTrue:
		e = &ast.TrueExpr{}
	case tkFalse:
		e = &ast.FalseExpr{}
	case tkDots:
		if !p.fs.vararg {
			p.syntaxError("cannot use '...' outside a vararg function")
		}
		e = &ast.Comma3Expr{}
		p.need(2) // gopher-lua's OP_VARARG claims a register beyond the values
	case '{':
		return p.constructor(), kindOther
	case tkFunction:
		p.next()
		fn := p.body(false, p.tok.endLine, tok.line)
		fn.SetLine(tok.line)
		return fn, kindOther
	default:
		return p.primaryExpr()
	}
	e.SetLine(tok.line)
	p.next()
	return e, kindOther
}

// numberText is the NumberExpr value: the source text when gopher-lua's
// compiler reads it as the same number, else a canonical spelling.
func numberText(tok token) string {
	if v, err := strconv.ParseInt(tok.text, 0, 64); err == nil {
		if float64(v) == tok.num {
			return tok.text
		}
	} else if v, err := strconv.ParseFloat(tok.text, 64); err == nil && math.Float64bits(v) == math.Float64bits(tok.num) {
		return tok.text
	}
	if tok.num == math.Trunc(tok.num) && math.Abs(tok.num) < 1<<53 {
		return strconv.FormatInt(int64(tok.num), 10)
	}
	return strconv.FormatFloat(tok.num, 'g', -1, 64)
}

func (p *parser) primaryExpr() (ast.Expr, exprKind) {
	e, kind := p.prefixExpr()
	for {
		switch p.tok.kind {
		case '.':
			p.next()
			name := p.checkName()
			key := &ast.StringExpr{Value: name.str}
			key.SetLine(name.line)
			get := &ast.AttrGetExpr{Object: e, Key: key}
			get.SetLine(e.Line())
			e, kind = get, kindVar
		case '[':
			p.next()
			p.hold(1)
			key := p.expr()
			p.release(1)
			p.checkNext(']')
			get := &ast.AttrGetExpr{Object: e, Key: key}
			get.SetLine(e.Line())
			e, kind = get, kindVar
		case ':':
			p.next()
			name := p.checkName()
			p.hold(2) // the method and self
			call := &ast.FuncCallExpr{Receiver: e, Method: name.str, Args: p.funcArgs()}
			p.release(2)
			call.SetLine(e.Line())
			e, kind = call, kindCall
		case '(', tkString, '{':
			p.hold(1) // the function
			call := &ast.FuncCallExpr{Func: e, Args: p.funcArgs()}
			p.release(1)
			call.SetLine(e.Line())
			e, kind = call, kindCall
		default:
			return e, kind
		}
	}
}

func (p *parser) prefixExpr() (ast.Expr, exprKind) {
	tok := p.tok
	switch tok.kind {
	case tkName:
		p.next()
		p.resolve(tok.str)
		e := &ast.IdentExpr{Value: tok.str}
		e.SetLine(tok.line)
		return e, kindVar
	case '(':
		p.next()
		e, kind := p.subexpr(0)
		p.checkMatch(')', '(', tok.line)
		if c, ok := e.(*ast.FuncCallExpr); ok && kind == kindCall {
			// gopher-lua's afunctioncall: (f()) keeps one value, and its line.
			c.AdjustRet = true
			return e, kindOther
		}
		if c3, ok := e.(*ast.Comma3Expr); ok {
			c3.AdjustRet = true
		}
		if !isLowered(e) {
			e.SetLine(tok.line)
		}
		return e, kindOther
	default:
		p.syntaxError("unexpected symbol")
		return nil, kindOther
	}
}

func (p *parser) funcArgs() []ast.Expr {
	tok := p.tok
	switch tok.kind {
	case '(':
		if tok.line != p.lastLine {
			p.syntaxError("ambiguous syntax (function call x new statement)")
		}
		p.next()
		args := []ast.Expr{}
		if p.tok.kind != ')' {
			args = p.exprList()
		}
		p.checkMatch(')', '(', tok.line)
		return args
	case '{':
		return []ast.Expr{p.constructor()}
	case tkString:
		p.next()
		s := &ast.StringExpr{Value: tok.str}
		s.SetLine(tok.line)
		return []ast.Expr{s}
	default:
		p.syntaxError("function arguments expected")
		return nil
	}
}

func (p *parser) constructor() ast.Expr {
	open := p.tok
	base := p.live()
	p.checkNext('{')
	p.hold(1) // the table
	pending := 0
	fields := []*ast.Field{}
	for p.tok.kind != '}' {
		switch {
		case p.tok.kind == tkName && p.peek().kind == '=':
			name := p.tok
			p.next()
			p.next()
			key := &ast.StringExpr{Value: name.str}
			key.SetLine(name.line)
			fields = append(fields, &ast.Field{Key: key, Value: p.expr()})
		case p.tok.kind == '[':
			p.next()
			key := p.expr()
			p.checkNext(']')
			p.checkNext('=')
			p.hold(1)
			fields = append(fields, &ast.Field{Key: key, Value: p.expr()})
			p.release(1)
		default:
			fields = append(fields, &ast.Field{Value: p.expr()})
			// List items stay in registers until FieldsPerFlush are stored.
			if pending < lua.FieldsPerFlush {
				p.hold(1)
				pending++
			}
		}
		if !p.testNext(',') && !p.testNext(';') {
			break
		}
	}
	p.release(1 + pending)
	closing := p.checkMatch('}', '{', open.line)
	if p.lowering() && len(fields) > bigFields {
		if e, ok := p.bigConstructor(fields, open.line, closing.line, base); ok {
			return e
		}
		if listItems(fields) > 511*lua.FieldsPerFlush {
			// gopher-lua would lose the items past its OP_SETLIST limit.
			p.limitError("function or expression too complex")
		}
	}
	t := &ast.TableExpr{Fields: fields}
	t.SetLine(open.line)
	return t
}

// listItems counts the list items of a constructor.
func listItems(fields []*ast.Field) int {
	n := 0
	for _, f := range fields {
		if f.Key == nil {
			n++
		}
	}
	return n
}
