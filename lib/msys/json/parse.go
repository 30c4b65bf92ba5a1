package json

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error codes of json.decode: json-c's enum json_tokener_error, in its
// order, which is the order Momentum lists the json.ERROR_* constants in
// (0 is success, 1 json-c's internal "continue").
const (
	ErrDepth             = 2
	ErrParseEOF          = 3
	ErrParseUnexpected   = 4
	ErrParseNull         = 5
	ErrParseBoolean      = 6
	ErrParseNumber       = 7
	ErrParseArray        = 8
	ErrParseObjectKey    = 9
	ErrParseObjectKeySep = 10
	ErrParseObjectValSep = 11
	ErrParseString       = 12
	ErrParseComment      = 13
)

// errorNames are the constants as Lua sees them.
var errorNames = map[string]int{
	"ERROR_DEPTH":                  ErrDepth,
	"ERROR_PARSE_EOF":              ErrParseEOF,
	"ERROR_PARSE_UNEXPECTED":       ErrParseUnexpected,
	"ERROR_PARSE_NULL":             ErrParseNull,
	"ERROR_PARSE_BOOLEAN":          ErrParseBoolean,
	"ERROR_PARSE_NUMBER":           ErrParseNumber,
	"ERROR_PARSE_ARRAY":            ErrParseArray,
	"ERROR_PARSE_OBJECT_KEY_NAME":  ErrParseObjectKey,
	"ERROR_PARSE_OBJECT_KEY_SEP":   ErrParseObjectKeySep,
	"ERROR_PARSE_OBJECT_VALUE_SEP": ErrParseObjectValSep,
	"ERROR_PARSE_STRING":           ErrParseString,
	"ERROR_PARSE_COMMENT":          ErrParseComment,
}

// errorTexts are json-c's descriptions (json_tokener_errors).
var errorTexts = []string{
	"success",
	"continue",
	"nesting too deep",
	"unexpected end of data",
	"unexpected character",
	"null expected",
	"boolean expected",
	"number expected",
	"array value separator ',' expected",
	"quoted object property name expected",
	"object property name separator ':' expected",
	"object value separator ',' expected",
	"invalid string sequence",
	"expected comment",
}

// Strerror is json.strerror.
func Strerror(code int) string {
	if code < 0 || code >= len(errorTexts) {
		return "unknown error " + strconv.Itoa(code)
	}
	return errorTexts[code]
}

// MaxDepth is json-c's JSON_TOKENER_DEFAULT_DEPTH: containers nested
// deeper fail with ERROR_DEPTH.
const MaxDepth = 32

// SyntaxError is a failed decode: the json.ERROR_* code and the byte
// offset where the parser stopped.
type SyntaxError struct {
	Code   int
	Offset int
}

func (e *SyntaxError) Error() string {
	return Strerror(e.Code) + " at offset " + strconv.Itoa(e.Offset)
}

// Parse reads one JSON value as json-c's tokener does: what follows the
// first complete value is ignored; '/* */' and '//' comments count as
// white space; strings may also be single-quoted; null, true and false
// are matched without regard to case; a trailing comma before ']' or '}'
// is accepted; NaN, Infinity and -Infinity are read as later json-c
// versions read them (they are what doubles out of range print as).
func Parse(s string) (any, error) {
	p := parser{s: s}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	return v, nil
}

type parser struct {
	s   string
	pos int
}

func (p *parser) fail(code int) error { return &SyntaxError{Code: code, Offset: p.pos} }

// space skips white space and comments.
func (p *parser) space() error {
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			p.pos++
		case c == '/':
			if p.pos+1 >= len(p.s) {
				p.pos++
				return p.fail(ErrParseEOF)
			}
			switch p.s[p.pos+1] {
			case '*':
				end := strings.Index(p.s[p.pos+2:], "*/")
				if end < 0 {
					p.pos = len(p.s)
					return p.fail(ErrParseEOF)
				}
				p.pos += 2 + end + 2
			case '/':
				end := strings.IndexByte(p.s[p.pos:], '\n')
				if end < 0 {
					p.pos = len(p.s)
				} else {
					p.pos += end + 1
				}
			default:
				p.pos++
				return p.fail(ErrParseComment)
			}
		default:
			return nil
		}
	}
	return nil
}

func (p *parser) value(depth int) (any, error) {
	if err := p.space(); err != nil {
		return nil, err
	}
	if p.pos >= len(p.s) {
		return nil, p.fail(ErrParseEOF)
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		if depth >= MaxDepth {
			return nil, p.fail(ErrDepth)
		}
		p.pos++
		return p.object(depth + 1)
	case c == '[':
		if depth >= MaxDepth {
			return nil, p.fail(ErrDepth)
		}
		p.pos++
		return p.array(depth + 1)
	case c == '"' || c == '\'':
		return p.str()
	case (c == 'n' || c == 'N') && p.pos+1 < len(p.s) && p.s[p.pos+1]|0x20 == 'a':
		return math.NaN(), p.word("nan", ErrParseNumber)
	case c == 'i' || c == 'I':
		return math.Inf(1), p.word("infinity", ErrParseNumber)
	case c == '-' && p.pos+1 < len(p.s) && p.s[p.pos+1]|0x20 == 'i':
		p.pos++
		return math.Inf(-1), p.word("infinity", ErrParseNumber)
	case c == 'n' || c == 'N':
		return nil, p.word("null", ErrParseNull)
	case c == 't' || c == 'T':
		return true, p.word("true", ErrParseBoolean)
	case c == 'f' || c == 'F':
		return false, p.word("false", ErrParseBoolean)
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, p.fail(ErrParseUnexpected)
}

func (p *parser) word(w string, code int) error {
	for i := 0; i < len(w); i++ {
		if p.pos >= len(p.s) {
			return p.fail(ErrParseEOF)
		}
		if c := p.s[p.pos] | 0x20; c != w[i] {
			return p.fail(code)
		}
		p.pos++
	}
	return nil
}

// number collects the characters json-c's tokener takes for a number and
// reads them as an integer, or as a double when they hold '.', 'e' or 'E'.
func (p *parser) number() (any, error) {
	start := p.pos
	for p.pos < len(p.s) && strings.IndexByte("0123456789.+-eE", p.s[p.pos]) >= 0 {
		p.pos++
	}
	tok := p.s[start:p.pos]
	if !strings.ContainsAny(tok, ".eE") {
		if i, err := strconv.ParseInt(tok, 10, 64); err == nil {
			return i, nil
		} else if err.(*strconv.NumError).Err == strconv.ErrRange {
			// Past int64: kept as a double rather than clamped.
			f, _ := strconv.ParseFloat(tok, 64)
			return f, nil
		}
		p.pos = start
		return nil, p.fail(ErrParseNumber)
	}
	f, err := strconv.ParseFloat(tok, 64)
	if err != nil && err.(*strconv.NumError).Err != strconv.ErrRange {
		p.pos = start
		return nil, p.fail(ErrParseNumber)
	}
	return f, nil
}

func (p *parser) str() (string, error) {
	quote := p.s[p.pos]
	p.pos++
	start := p.pos
	// The common case: no escapes.
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == quote {
			p.pos++
			return p.s[start : p.pos-1], nil
		}
		if c == '\\' {
			break
		}
		p.pos++
	}
	b := []byte(p.s[start:p.pos])
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		switch c {
		case quote:
			return string(b), nil
		case '\\':
			if p.pos >= len(p.s) {
				return "", p.fail(ErrParseEOF)
			}
			e := p.s[p.pos]
			p.pos++
			switch e {
			case '"', '\\', '/', '\'':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return "", err
				}
				if r >= 0xd800 && r < 0xdc00 && strings.HasPrefix(p.s[p.pos:], `\u`) {
					save := p.pos
					p.pos += 2
					lo, err := p.hex4()
					if err == nil && lo >= 0xdc00 && lo < 0xe000 {
						r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
					} else {
						p.pos = save
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				p.pos--
				return "", p.fail(ErrParseString)
			}
		default:
			b = append(b, c)
		}
	}
	return "", p.fail(ErrParseEOF)
}

func (p *parser) hex4() (rune, error) {
	var r rune
	for i := 0; i < 4; i++ {
		if p.pos >= len(p.s) {
			return 0, p.fail(ErrParseEOF)
		}
		c := p.s[p.pos]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			r = r<<4 | rune(c|0x20-'a'+10)
		default:
			return 0, p.fail(ErrParseString)
		}
		p.pos++
	}
	return r, nil
}

func (p *parser) array(depth int) (any, error) {
	a := &Array{}
	for {
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.s) {
			return nil, p.fail(ErrParseEOF)
		}
		if p.s[p.pos] == ']' {
			p.pos++
			return a, nil
		}
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		a.elems = append(a.elems, v)
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.s) {
			return nil, p.fail(ErrParseEOF)
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return a, nil
		default:
			return nil, p.fail(ErrParseArray)
		}
	}
}

func (p *parser) object(depth int) (any, error) {
	o := NewObject()
	for {
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.s) {
			return nil, p.fail(ErrParseEOF)
		}
		c := p.s[p.pos]
		if c == '}' {
			p.pos++
			return o, nil
		}
		if c != '"' && c != '\'' {
			return nil, p.fail(ErrParseObjectKey)
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.s) {
			return nil, p.fail(ErrParseEOF)
		}
		if p.s[p.pos] != ':' {
			return nil, p.fail(ErrParseObjectKeySep)
		}
		p.pos++
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		o.Set(key, v)
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.s) {
			return nil, p.fail(ErrParseEOF)
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return o, nil
		default:
			return nil, p.fail(ErrParseObjectValSep)
		}
	}
}
