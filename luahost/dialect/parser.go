package dialect

import (
	"fmt"

	"github.com/yuin/gopher-lua/ast"
)

// Limits of PUC Lua 5.1 (luaconf.h, identical in thrlua).
const (
	maxSyntaxLevels = 200 // LUAI_MAXCCALLS
	maxLocals       = 200 // LUAI_MAXVARS
	maxUpvalues     = 60  // LUAI_MAXUPVALUES

	// gopherMaxRegisters is maxRegisters in gopher-lua's compile.go: the
	// locals of a function, hidden ones included, must fit.
	gopherMaxRegisters = 200
)

// SyntaxError is a compile-time error in a chunk. Msg is worded as PUC
// Lua words it (`'=' expected near 'x'`); Line is the line PUC reports;
// Column is the 1-based byte column of the offending token, or 0 when
// gopher-lua's compiler, not the parser, found the error.
type SyntaxError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

// Error returns "file:line:column: message", or "file:line: message" when
// the column is unknown.
func (e *SyntaxError) Error() string {
	if e.Column == 0 {
		return e.LuaMessage()
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// LuaMessage returns the error as PUC Lua's load functions return it:
// "file:line: message", without the column.
func (e *SyntaxError) LuaMessage() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// blockScope is one block of a function: where its locals start in the
// function's active list and whether break may leave it.
type blockScope struct {
	nactive   int
	breakable bool
}

type upvalKey struct {
	owner *funcState
	index int
}

// funcState tracks what the parser needs to know about the function being
// parsed: active local names (for "local 'x'" vs "upvalue 'x'" in error
// descriptors, and the PUC limits), blocks, and whether it is vararg.
type funcState struct {
	parent  *funcState
	actives []string
	blocks  []blockScope
	vararg  bool
	line    int // line defined; 0 for the main chunk
	upvals  map[upvalKey]bool
	hidden  int // hidden locals before the first statement (the operator prologue)
	temps   int // registers held by the enclosing expressions being parsed
	hw      int // most registers in use at once since the expression being parsed began
	peak    int // most registers (locals, hidden ones, temporaries) in use at once so far
	peakAt  int // the line where peak was reached
	defined int // the line gopher-lua gives as the function's LineDefined; 0 for the main chunk
	native  bool
}

// parseError aborts parsing; parse() recovers it.
type parseError struct{ err *SyntaxError }

// parser is a recursive-descent parser that follows lparser.c of Lua 5.1
// (with thrlua's operators) and builds gopher-lua's AST the way gopher-lua's
// own grammar does, so positions in compiled code match.
type parser struct {
	lx       *lexer
	tok      token
	ahead    token
	hasAhead bool
	lastLine int // line of the last consumed token (PUC's lastline)
	fs       *funcState
	depth    int
	lower    bool // lower .., ^, multiple assignment and for bounds
	used     [numOps]bool
	// native lists, by LineDefined, the functions whose .., ^, multiple
	// assignments and for bounds are left to gopher-lua because lowered
	// they overflowed its registers (Compile). peaks is where each
	// function's register use peaked, for the error if it still does.
	native map[int]bool
	peaks  map[int]int
	// chained marks the .. nodes a concatenation chain is built from
	// before the whole chain becomes one call.
	chained map[*ast.StringConcatOpExpr]bool
}

// newParser returns a parser for src. With lower false, plain Lua comes
// out exactly as gopher-lua's parser builds it (only thrlua's operators
// are lowered), which the AST comparison tests and the operator capturer
// rely on.
func newParser(src []byte, file string, lower bool) *parser {
	return newSourceParser(&source{data: src}, file, lower)
}

func newSourceParser(in *source, file string, lower bool) *parser {
	return &parser{
		lx:    &lexer{in: in, file: file, line: 1},
		lower: lower,
	}
}

// parse parses a whole chunk.
func (p *parser) parse() (stmts []ast.Stmt, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(parseError)
			if !ok {
				panic(r)
			}
			stmts, err = nil, pe.err
		}
	}()
	// The main chunk's prologue declares up to numOps operator locals.
	p.fs = &funcState{vararg: true, upvals: map[upvalKey]bool{}, hidden: numOps, native: p.native[0]}
	p.fs.blocks = append(p.fs.blocks, blockScope{})
	p.next()
	stmts = p.chunk()
	p.check(tkEOS)
	p.recordPeak()
	return stmts, nil
}

// lowering reports whether plain-Lua constructs of the current function
// are lowered.
func (p *parser) lowering() bool { return p.lower && !p.fs.native }

func (p *parser) fail(err *SyntaxError) { panic(parseError{err}) }

func (p *parser) next() {
	p.lastLine = p.tok.endLine
	if p.hasAhead {
		p.tok, p.hasAhead = p.ahead, false
		return
	}
	tok, err := p.lx.next()
	if err != nil {
		p.fail(err.(*SyntaxError))
	}
	p.tok = tok
}

func (p *parser) peek() token {
	if !p.hasAhead {
		tok, err := p.lx.next()
		if err != nil {
			p.fail(err.(*SyntaxError))
		}
		p.ahead, p.hasAhead = tok, true
	}
	return p.ahead
}

// syntaxError reports msg at the current token, as luaX_syntaxerror.
func (p *parser) syntaxError(msg string) {
	p.fail(&SyntaxError{
		File:   p.lx.file,
		Line:   p.tok.endLine,
		Column: p.tok.col,
		Msg:    msg + " near '" + tokenText(p.tok) + "'",
	})
}

// limitError reports an error without "near", as luaX_lexerror(..., 0).
func (p *parser) limitError(msg string) {
	p.fail(&SyntaxError{File: p.lx.file, Line: p.tok.endLine, Column: p.tok.col, Msg: msg})
}

func (p *parser) errorExpected(kind int) {
	p.syntaxError("'" + kindText(kind) + "' expected")
}

func (p *parser) testNext(kind int) bool {
	if p.tok.kind == kind {
		p.next()
		return true
	}
	return false
}

func (p *parser) check(kind int) {
	if p.tok.kind != kind {
		p.errorExpected(kind)
	}
}

func (p *parser) checkNext(kind int) token {
	p.check(kind)
	tok := p.tok
	p.next()
	return tok
}

// checkMatch consumes what, which closes who opened at line where.
func (p *parser) checkMatch(what, who, where int) token {
	if p.tok.kind != what {
		if where == p.tok.endLine {
			p.errorExpected(what)
		}
		p.syntaxError(fmt.Sprintf("'%s' expected (to close '%s' at line %d)", kindText(what), kindText(who), where))
	}
	tok := p.tok
	p.next()
	return tok
}

func (p *parser) checkName() token {
	return p.checkNext(tkName)
}

func (p *parser) enterLevel() {
	p.depth++
	if p.depth > maxSyntaxLevels {
		p.limitError("chunk has too many syntax levels")
	}
}

func (p *parser) leaveLevel() { p.depth-- }

// Scopes.

func (p *parser) openFunc(line, defined int) {
	fs := &funcState{parent: p.fs, line: line, defined: defined, upvals: map[upvalKey]bool{}, native: p.native[defined]}
	fs.blocks = append(fs.blocks, blockScope{})
	p.fs = fs
}

func (p *parser) closeFunc() {
	p.recordPeak()
	p.fs = p.fs.parent
}

// recordPeak remembers where the current function's register use peaked,
// the line reported if gopher-lua still runs out of registers in it.
func (p *parser) recordPeak() {
	if p.peaks == nil {
		p.peaks = map[int]int{}
	}
	if _, ok := p.peaks[p.fs.defined]; !ok {
		p.peaks[p.fs.defined] = max(p.fs.peakAt, p.fs.line, 1)
	}
}

func (p *parser) enterBlock(breakable bool) {
	p.fs.blocks = append(p.fs.blocks, blockScope{nactive: len(p.fs.actives), breakable: breakable})
}

func (p *parser) leaveBlock() {
	b := p.fs.blocks[len(p.fs.blocks)-1]
	p.fs.blocks = p.fs.blocks[:len(p.fs.blocks)-1]
	p.fs.actives = p.fs.actives[:b.nactive]
}

// limitExceeded is luaY_checklimit's error for the function fs.
func (p *parser) limitExceeded(fs *funcState, limit int, what string) {
	if fs.line == 0 {
		p.limitError(fmt.Sprintf("main function has more than %d %s", limit, what))
	}
	p.limitError(fmt.Sprintf("function at line %d has more than %d %s", fs.line, limit, what))
}

// checkLocals is luaY_checklimit for n locals about to be declared.
func (p *parser) checkLocals(n int) {
	if len(p.fs.actives)+n > maxLocals {
		p.limitExceeded(p.fs, maxLocals, "local variables")
	}
}

// claim reports whether n hidden locals fit gopher-lua's limit above the
// locals and the enclosing expressions' temporaries, and counts them in
// the function's peak if so. A lowering that does not fit is left out, so
// that what PUC compiles still compiles; Compile falls back further if
// gopher-lua's allocation still overflows.
func (p *parser) claim(n int) bool {
	if p.live()+n > gopherMaxRegisters {
		return false
	}
	p.need(n)
	return true
}

// callTop is the registers in use at the top of a hidden operator call
// over n operands whose expression began with base registers live: its
// operands evaluate as in gopher-lua's own code, at least one register
// each, but two registers higher (the function, and the descriptor before
// or after them).
func (p *parser) callTop(base, n int) int { return max(p.fs.hw, base+n) + 2 }

// callFits reports whether that call fits gopher-lua's limit.
func (p *parser) callFits(base, n int) bool { return p.callTop(base, n) <= gopherMaxRegisters }

// need counts n registers above the live ones.
func (p *parser) need(n int) { p.reach(p.live() + n) }

// reach records that top registers are in use at once.
func (p *parser) reach(top int) {
	p.fs.hw = max(p.fs.hw, top)
	if top > p.fs.peak {
		p.fs.peak, p.fs.peakAt = top, p.lastLine
	}
}

func (p *parser) live() int { return len(p.fs.actives) + p.fs.hidden + p.fs.temps }

// hold marks n registers as held by a partly evaluated expression (a
// call's function and earlier arguments, a binary operation's left
// operand, a table being built) while what follows is parsed; release
// gives them back. The count follows gopher-lua's compiler closely but
// errs high.
func (p *parser) hold(n int) {
	p.need(n)
	p.fs.temps += n
}

func (p *parser) release(n int) { p.fs.temps -= n }

func (p *parser) activate(names ...string) {
	p.fs.actives = append(p.fs.actives, names...)
	p.need(0)
}

// resolve says how PUC's debug information names a variable: "local",
// "upvalue" or "global". It also counts upvalues against the PUC limit.
func (p *parser) resolve(name string) string {
	for fs, depth := p.fs, 0; fs != nil; fs, depth = fs.parent, depth+1 {
		for i := len(fs.actives) - 1; i >= 0; i-- {
			if fs.actives[i] != name {
				continue
			}
			if depth == 0 {
				return "local"
			}
			// PUC's singlevaraux adds the upvalue to the outermost
			// function first, so that one reports the limit.
			var chain []*funcState
			for f := p.fs; f != fs; f = f.parent {
				chain = append(chain, f)
			}
			key := upvalKey{fs, i}
			for j := len(chain) - 1; j >= 0; j-- {
				f := chain[j]
				if !f.upvals[key] {
					f.upvals[key] = true
					if len(f.upvals) > maxUpvalues {
						p.limitExceeded(f, maxUpvalues, "upvalues")
					}
				}
			}
			return "upvalue"
		}
	}
	return "global"
}

func (p *parser) inLoop() bool {
	for _, b := range p.fs.blocks {
		if b.breakable {
			return true
		}
	}
	return false
}
