package config

import (
	"fmt"
	"strconv"
	"strings"
)

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tLBrace
	tRBrace
	tLParen
	tRParen
	tLBrack
	tRBrack
	tEquals
)

type token struct {
	kind tokKind
	text string // the word or the unescaped string
	pos  Pos
}

// describe names a token the way error messages show it.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tWord:
		return strconv.Quote(t.text)
	case tString:
		return "string " + strconv.Quote(t.text)
	default:
		return "'" + t.text + "'"
	}
}

// lexer splits one file into tokens. Columns count bytes, as Go's own
// compiler does.
type lexer struct {
	src  []byte
	file string
	off  int
	line int
	col  int
}

// newLexer starts after a UTF-8 byte order mark, which some editors write.
func newLexer(file string, src []byte) *lexer {
	l := &lexer{src: src, file: file, line: 1, col: 1}
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		l.off = 3
	}
	return l
}

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.col} }

func (l *lexer) advance() {
	if l.src[l.off] == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	l.off++
}

// at reports whether the two bytes at the cursor are a and b.
func (l *lexer) at(a, b byte) bool {
	return l.off+1 < len(l.src) && l.src[l.off] == a && l.src[l.off+1] == b
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// skip passes over whitespace and both comment forms. A "/*" comment ends at
// the first "*/": Momentum's comments do not nest.
func (l *lexer) skip() error {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case isSpace(c):
			l.advance()
		case c == '#':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance()
			}
		case l.at('/', '*'):
			start := l.pos()
			l.advance()
			l.advance()
			for !l.at('*', '/') {
				if l.off >= len(l.src) {
					return errorf(start, "unterminated /* comment: expected */ before the end of the file")
				}
				l.advance()
			}
			l.advance()
			l.advance()
		default:
			return nil
		}
	}
	return nil
}

var punct = map[byte]tokKind{
	'{': tLBrace, '}': tRBrace, '(': tLParen, ')': tRParen,
	'[': tLBrack, ']': tRBrack, '=': tEquals,
}

func (l *lexer) next() (token, error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	start := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[l.off]
	if k, ok := punct[c]; ok {
		l.advance()
		return token{kind: k, text: string(c), pos: start}, nil
	}
	if c == '"' || c == '\'' {
		return l.quoted(start, c)
	}
	begin := l.off
	for l.off < len(l.src) && !endsWord(l) {
		l.advance()
	}
	word := string(l.src[begin:l.off])
	if l.at('/', '*') {
		// Taken as a comment, "/*" would swallow everything up to the next
		// "*/", however many lines and scopes later, without an error.
		return token{}, errorf(l.pos(), `"/*" right after the unquoted word %q opens a comment: quote the value (Momentum requires values containing / or * to be quoted), or put a space before the comment`, word)
	}
	return token{kind: tWord, text: word, pos: start}, nil
}

// endsWord reports whether the byte at the cursor ends an unquoted scalar.
// '/' alone does not, so CIDR lists like ( 10.0.0.0/8 ) need no quotes; "/*"
// does, and next refuses it.
func endsWord(l *lexer) bool {
	c := l.src[l.off]
	if _, ok := punct[c]; ok {
		return true
	}
	return isSpace(c) || c == '"' || c == '\'' || c == '#' || l.at('/', '*')
}

// quoted reads a string in double or single quotes. \n, \t, \r, \\ and an
// escaped quote are translated; any other backslash pair is kept as written,
// so regex domains such as "/^mx\.example\.com$/" survive unchanged.
func (l *lexer) quoted(start Pos, q byte) (token, error) {
	l.advance()
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return token{}, errorf(start, "unterminated string: expected a closing %c before the end of the file", q)
		}
		c := l.src[l.off]
		l.advance()
		switch {
		case c == q:
			return token{kind: tString, text: b.String(), pos: start}, nil
		case c != '\\':
			b.WriteByte(c)
		case l.off >= len(l.src):
			return token{}, errorf(start, "unterminated string: expected a closing %c before the end of the file", q)
		default:
			e := l.src[l.off]
			l.advance()
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '"', '\'':
				b.WriteByte(e)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		}
	}
}

// Pos is a place in a config file. Line and Col start at 1.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a config error: where it is and what was wrong or expected.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

func errorf(p Pos, format string, args ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}
