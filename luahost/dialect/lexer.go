package dialect

import (
	"fmt"
	"strings"
)

// Token kinds: a single-byte token is its own byte value, as in llex.c;
// everything else starts at firstReserved.
const (
	tkAnd = 257 + iota
	tkBreak
	tkDo
	tkElse
	tkElseif
	tkEnd
	tkFalse
	tkFor
	tkFunction
	tkIf
	tkIn
	tkLocal
	tkNil
	tkNot
	tkOr
	tkRepeat
	tkReturn
	tkThen
	tkTrue
	tkUntil
	tkWhile
	tkConcat
	tkDots
	tkEq
	tkGe
	tkShl
	tkLe
	tkShr
	tkXor
	tkNe
	tkNumber
	tkName
	tkString
	tkEOS
)

const firstReserved = tkAnd

var keywords = map[string]int{
	"and": tkAnd, "break": tkBreak, "do": tkDo, "else": tkElse, "elseif": tkElseif,
	"end": tkEnd, "false": tkFalse, "for": tkFor, "function": tkFunction, "if": tkIf,
	"in": tkIn, "local": tkLocal, "nil": tkNil, "not": tkNot, "or": tkOr,
	"repeat": tkRepeat, "return": tkReturn, "then": tkThen, "true": tkTrue,
	"until": tkUntil, "while": tkWhile,
}

// tokenNames spells the non-single-byte tokens as PUC's luaX_tokens does.
// Both `~=` and `!=` lex to tkNe and print as '~=', as in thrlua.
var tokenNames = map[int]string{
	tkConcat: "..", tkDots: "...", tkEq: "==", tkGe: ">=", tkShl: "<<", tkLe: "<=",
	tkShr: ">>", tkXor: "^^", tkNe: "~=", tkNumber: "<number>", tkName: "<name>",
	tkString: "<string>", tkEOS: "<eof>",
}

func init() {
	for w, k := range keywords {
		tokenNames[k] = w
	}
}

// token is one lexeme. text is what PUC's lexer buffer holds for the token
// (quotes and processed escapes for strings), used in "near '...'".
type token struct {
	kind    int
	text    string
	str     string  // value of a name or string
	num     float64 // value of a number
	line    int     // line of the first byte
	col     int     // column of the first byte, 1-based, in bytes
	endLine int     // line of the last byte (PUC reports errors there)
}

// lexer turns source bytes into tokens, following llex.c of thrlua
// (Lua 5.1 plus the bitwise-operator, hex/unicode escape and octal patches).
type lexer struct {
	in        *source
	file      string
	pos       int
	line      int
	lineStart int // offset of the first byte of the current line
}

const eoz = -1

// source is the chunk's bytes, read as the lexer needs them when pull is
// set (load's reader function), as PUC's lexer fills its buffer.
type source struct {
	data []byte
	pull func() ([]byte, bool) // the next piece; false at the end
}

// has reports whether byte i is there, pulling pieces until it is.
func (in *source) has(i int) bool {
	for i >= len(in.data) && in.pull != nil {
		piece, ok := in.pull()
		if !ok {
			in.pull = nil
			break
		}
		in.data = append(in.data, piece...)
	}
	return i < len(in.data)
}

func (lx *lexer) cur() int {
	if lx.in.has(lx.pos) {
		return int(lx.in.data[lx.pos])
	}
	return eoz
}

func (lx *lexer) peekAt(off int) int {
	if lx.in.has(lx.pos + off) {
		return int(lx.in.data[lx.pos+off])
	}
	return eoz
}

func (lx *lexer) col() int { return lx.pos - lx.lineStart + 1 }

func isNewline(c int) bool { return c == '\n' || c == '\r' }

// newline skips "\n", "\r", "\n\r" or "\r\n" as one line break.
func (lx *lexer) newline() {
	old := lx.cur()
	lx.pos++
	if c := lx.cur(); isNewline(c) && c != old {
		lx.pos++
	}
	lx.line++
	lx.lineStart = lx.pos
}

func isDigit(c int) bool  { return c >= '0' && c <= '9' }
func isAlpha(c int) bool  { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c int) bool  { return isAlpha(c) || isDigit(c) }
func isXDigit(c int) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isSpace(c int) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func hexVal(c int) int {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// errorf reports a lexical error the way luaX_lexerror does: at the current
// line, with "near" and the token text when near is not empty. The column
// is the token's when the token started on this line, else the lexer's.
func (lx *lexer) errorf(tok token, near string, format string, args ...any) *SyntaxError {
	msg := fmt.Sprintf(format, args...)
	if near != "" {
		msg += " near '" + near + "'"
	}
	col := tok.col
	if tok.line != lx.line {
		col = lx.col()
	}
	return &SyntaxError{File: lx.file, Line: lx.line, Column: col, Msg: msg}
}

// next scans one token. Errors are returned as *SyntaxError.
func (lx *lexer) next() (token, error) {
	tok, err := lx.scan()
	// PUC's lexer reads the character after a token before returning it
	// (its "current"), which a reader function of load sees.
	lx.cur()
	return tok, err
}

func (lx *lexer) scan() (token, error) {
	for {
		c := lx.cur()
		tok := token{line: lx.line, col: lx.col()}
		start := lx.pos
		simple := func(kind, width int) (token, error) {
			lx.pos += width
			tok.kind = kind
			tok.text = string(lx.in.data[start:lx.pos])
			tok.endLine = lx.line
			return tok, nil
		}
		switch {
		case c == eoz:
			tok.kind, tok.endLine = tkEOS, lx.line
			return tok, nil
		case isNewline(c):
			lx.newline()
			continue
		case c == '-':
			if lx.peekAt(1) != '-' {
				return simple('-', 1)
			}
			lx.pos += 2
			if lx.cur() == '[' {
				save := lx.pos
				if sep := lx.skipSep(); sep >= 0 {
					if _, err := lx.longString(sep, tok, false); err != nil {
						return tok, err
					}
					continue
				}
				lx.pos = save
			}
			for c := lx.cur(); !isNewline(c) && c != eoz; c = lx.cur() {
				lx.pos++
			}
			continue
		case c == '[':
			sep := lx.skipSep()
			switch {
			case sep >= 0:
				s, err := lx.longString(sep, tok, true)
				if err != nil {
					return tok, err
				}
				tok.kind, tok.str = tkString, s
				tok.text = string(lx.in.data[start:lx.pos])
				tok.endLine = lx.line
				return tok, nil
			case sep == -1:
				lx.pos = start
				return simple('[', 1)
			default:
				return tok, lx.errorf(tok, string(lx.in.data[start:lx.pos]), "invalid long string delimiter")
			}
		case c == '=':
			if lx.peekAt(1) == '=' {
				return simple(tkEq, 2)
			}
			return simple('=', 1)
		case c == '<':
			switch lx.peekAt(1) {
			case '=':
				return simple(tkLe, 2)
			case '<':
				return simple(tkShl, 2)
			}
			return simple('<', 1)
		case c == '>':
			switch lx.peekAt(1) {
			case '=':
				return simple(tkGe, 2)
			case '>':
				return simple(tkShr, 2)
			}
			return simple('>', 1)
		case c == '^':
			if lx.peekAt(1) == '^' {
				return simple(tkXor, 2)
			}
			return simple('^', 1)
		case c == '!' || c == '~':
			if lx.peekAt(1) == '=' {
				return simple(tkNe, 2)
			}
			return simple(c, 1)
		case c == '"' || c == '\'':
			return lx.shortString(tok)
		case c == '.':
			if lx.peekAt(1) == '.' {
				if lx.peekAt(2) == '.' {
					return simple(tkDots, 3)
				}
				return simple(tkConcat, 2)
			}
			if !isDigit(lx.peekAt(1)) {
				return simple('.', 1)
			}
			return lx.numeral(tok)
		case isSpace(c):
			lx.pos++
			continue
		case isDigit(c):
			return lx.numeral(tok)
		case isAlpha(c) || c == '_':
			for lx.pos++; isAlnum(lx.cur()) || lx.cur() == '_'; lx.pos++ {
			}
			tok.text = string(lx.in.data[start:lx.pos])
			tok.endLine = lx.line
			if k, ok := keywords[tok.text]; ok {
				tok.kind = k
			} else {
				tok.kind, tok.str = tkName, tok.text
			}
			return tok, nil
		default:
			return simple(c, 1)
		}
	}
}

// skipSep reads [=*[ or ]=*] starting at the current bracket and returns
// the level, or -(level)-1 when the second bracket is missing.
func (lx *lexer) skipSep() int {
	s := lx.cur()
	lx.pos++
	count := 0
	for lx.cur() == '=' {
		lx.pos++
		count++
	}
	if lx.cur() == s {
		return count
	}
	return -count - 1
}

// longString reads the body of a long string or comment; the first bracket
// and the '='s were consumed by skipSep, the second bracket is current.
func (lx *lexer) longString(sep int, tok token, isString bool) (string, error) {
	lx.pos++
	if isNewline(lx.cur()) {
		lx.newline()
	}
	var b strings.Builder
	for {
		c := lx.cur()
		switch {
		case c == eoz:
			what := "unfinished long comment"
			if isString {
				what = "unfinished long string"
			}
			return "", lx.errorf(tok, "<eof>", "%s", what)
		case c == '[':
			// LUA_COMPAT_LSTR == 1, as in thrlua's and PUC's luaconf.h.
			save := lx.pos
			if lx.skipSep() == sep {
				if sep == 0 {
					return "", lx.errorf(tok, "[", "nesting of [[...]] is deprecated")
				}
			}
			b.Write(lx.in.data[save:lx.pos])
		case c == ']':
			save := lx.pos
			if lx.skipSep() == sep {
				lx.pos++
				return b.String(), nil
			}
			b.Write(lx.in.data[save:lx.pos])
		case isNewline(c):
			b.WriteByte('\n')
			lx.newline()
		default:
			b.WriteByte(byte(c))
			lx.pos++
		}
	}
}

// shortString reads a quoted string with Lua 5.1 escapes plus thrlua's
// \xHH and \uHHHH (4, 6 or 8 hex digits, encoded as UTF-8).
func (lx *lexer) shortString(tok token) (token, error) {
	del := lx.cur()
	lx.pos++
	var b strings.Builder
	text := func() string { return string(rune(del)) + b.String() }
	for lx.cur() != del {
		c := lx.cur()
		switch {
		case c == eoz:
			return tok, lx.errorf(tok, "<eof>", "unfinished string")
		case isNewline(c):
			return tok, lx.errorf(tok, text(), "unfinished string")
		case c == '\\':
			lx.pos++
			switch e := lx.cur(); e {
			case 'a', 'b', 'f', 'n', 'r', 't', 'v':
				b.WriteByte("\a\b\f\n\r\t\v"[strings.IndexByte("abfnrtv", byte(e))])
				lx.pos++
			case 'x':
				lx.pos++
				v := 0
				for i := 0; i < 2; i++ {
					if !isXDigit(lx.cur()) {
						return tok, lx.errorf(tok, text(), "expected hex digit")
					}
					v = v<<4 | hexVal(lx.cur())
					lx.pos++
				}
				b.WriteByte(byte(v))
			case 'u':
				lx.pos++
				v, n := 0, 0
				for ; n < 8 && isXDigit(lx.cur()); n++ {
					v = v<<4 | hexVal(lx.cur())
					lx.pos++
				}
				if n != 4 && n != 6 && n != 8 {
					return tok, lx.errorf(tok, text(), "expected either 4, 6 or 8 hex digits for unicode escape")
				}
				if v > 0x7fffffff {
					return tok, lx.errorf(tok, text(), "unicode escape sequence too large")
				}
				writeUTF8(&b, v)
			case '\n', '\r':
				b.WriteByte('\n')
				lx.newline()
			case eoz:
				// the loop reports the unfinished string
			default:
				if !isDigit(e) {
					b.WriteByte(byte(e))
					lx.pos++
					break
				}
				v := 0
				for i := 0; i < 3 && isDigit(lx.cur()); i++ {
					v = 10*v + lx.cur() - '0'
					lx.pos++
				}
				if v > 255 {
					return tok, lx.errorf(tok, text(), "escape sequence too large")
				}
				b.WriteByte(byte(v))
			}
		default:
			b.WriteByte(byte(c))
			lx.pos++
		}
	}
	lx.pos++
	tok.kind = tkString
	tok.str = b.String()
	tok.text = text() + string(rune(del))
	tok.endLine = lx.line
	return tok, nil
}

// writeUTF8 encodes v as thrlua does: the original (up to 6 byte) UTF-8
// scheme, so values past U+10FFFF are still encoded rather than rejected.
func writeUTF8(b *strings.Builder, v int) {
	switch {
	case v <= 0x7f:
		b.WriteByte(byte(v))
	case v <= 0x7ff:
		b.WriteByte(byte(0xc0 | v>>6&0x1f))
		b.WriteByte(byte(0x80 | v&0x3f))
	case v <= 0xffff:
		b.WriteByte(byte(0xe0 | v>>12&0xf))
		b.WriteByte(byte(0x80 | v>>6&0x3f))
		b.WriteByte(byte(0x80 | v&0x3f))
	case v <= 0x1fffff:
		b.WriteByte(byte(0xf0 | v>>18&0x7))
		b.WriteByte(byte(0x80 | v>>12&0x3f))
		b.WriteByte(byte(0x80 | v>>6&0x3f))
		b.WriteByte(byte(0x80 | v&0x3f))
	case v <= 0x3ffffff:
		b.WriteByte(byte(0xf8 | v>>24&0x3))
		b.WriteByte(byte(0x80 | v>>18&0x3f))
		b.WriteByte(byte(0x80 | v>>12&0x3f))
		b.WriteByte(byte(0x80 | v>>6&0x3f))
		b.WriteByte(byte(0x80 | v&0x3f))
	default:
		b.WriteByte(byte(0xfc | v>>30&0x1))
		b.WriteByte(byte(0x80 | v>>24&0x3f))
		b.WriteByte(byte(0x80 | v>>18&0x3f))
		b.WriteByte(byte(0x80 | v>>12&0x3f))
		b.WriteByte(byte(0x80 | v>>6&0x3f))
		b.WriteByte(byte(0x80 | v&0x3f))
	}
}

// numeral reads digits and dots, an optional exponent sign, then any
// letters, digits and underscores, and converts the lot as luaO_str2d does
// (so a leading 0 means octal, as in thrlua).
func (lx *lexer) numeral(tok token) (token, error) {
	start := lx.pos
	for isDigit(lx.cur()) || lx.cur() == '.' {
		lx.pos++
	}
	if c := lx.cur(); c == 'e' || c == 'E' {
		lx.pos++
		if c := lx.cur(); c == '+' || c == '-' {
			lx.pos++
		}
	}
	for isAlnum(lx.cur()) || lx.cur() == '_' {
		lx.pos++
	}
	tok.text = string(lx.in.data[start:lx.pos])
	tok.endLine = lx.line
	v, ok := str2d(tok.text)
	if !ok {
		return tok, lx.errorf(tok, tok.text, "malformed number")
	}
	tok.kind, tok.num = tkNumber, v
	return tok, nil
}

// tokenText is what "near '...'" shows for tok, as luaX_token2str/txtToken.
func tokenText(tok token) string {
	switch {
	case tok.kind == tkName || tok.kind == tkString || tok.kind == tkNumber:
		return tok.text
	case tok.kind < firstReserved:
		if tok.kind < 32 || tok.kind == 127 {
			return fmt.Sprintf("char(%d)", tok.kind)
		}
		return string([]byte{byte(tok.kind)})
	default:
		return tokenNames[tok.kind]
	}
}

// kindText names a token kind in "'x' expected" messages.
func kindText(kind int) string {
	if kind < firstReserved {
		return tokenText(token{kind: kind})
	}
	return tokenNames[kind]
}
