// Package compat reads Momentum Lua scripts without running them and says,
// for every msys function, module, class method and hook they use, whether
// msyshost supports it, supports it with a difference, or not at all
// (`msyshost check --compat`); it also renders the whole compatibility
// matrix (`msyshost api`). Both come from the binding registry
// (luahost.BuildCatalog) and the hook registry (lib/hook).
package compat

import (
	"fmt"
	"strings"
)

// tokKind is the kind of a token.
type tokKind int

const (
	tName tokKind = iota
	tString
	tNumber
	tPunct
	tEOF
)

// token is one lexeme of a script; text is a string's value.
type token struct {
	kind tokKind
	text string
	line int
}

// scan splits Lua 5.1 source, with Momentum's additions (!=, ^^, <<, >>, \,
// !), into tokens, dropping comments. Only what names calls and their
// arguments matters here, so numbers are kept as written and escapes in
// strings are decoded only for the common forms. An unterminated string or
// long bracket is an error naming its line.
func scan(src string) ([]token, error) {
	var out []token
	line := 1
	i := 0
	if strings.HasPrefix(src, "#") { // a shebang line
		for i < len(src) && src[i] != '\n' {
			i++
		}
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			i += 2
			if lvl, ok := longOpen(src, i); ok {
				end, n, err := longBody(src, i+lvl+2, lvl, line)
				if err != nil {
					return nil, err
				}
				line += n
				i = end
				continue
			}
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case isNameStart(c):
			j := i
			for j < len(src) && isNameChar(src[j]) {
				j++
			}
			out = append(out, token{tName, src[i:j], line})
			i = j
		case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
			j := i
			for j < len(src) && (isNameChar(src[j]) || src[j] == '.' ||
				(src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E' || src[j-1] == 'p' || src[j-1] == 'P')) {
				j++
			}
			out = append(out, token{tNumber, src[i:j], line})
			i = j
		case c == '"' || c == '\'':
			s, end, err := quoted(src, i, line)
			if err != nil {
				return nil, err
			}
			out = append(out, token{tString, s, line})
			i = end
		case c == '[':
			if lvl, ok := longOpen(src, i); ok {
				start := line
				end, n, err := longBody(src, i+lvl+2, lvl, line)
				if err != nil {
					return nil, err
				}
				body := src[i+lvl+2 : end-lvl-2]
				body = strings.TrimPrefix(body, "\n")
				out = append(out, token{tString, body, start})
				line += n
				i = end
				continue
			}
			out = append(out, token{tPunct, "[", line})
			i++
		default:
			p := punct(src[i:])
			out = append(out, token{tPunct, p, line})
			i += len(p)
		}
	}
	return append(out, token{tEOF, "", line}), nil
}

var puncts = []string{"...", "..", "==", "~=", "!=", "<=", ">=", "<<", ">>", "^^"}

func punct(s string) string {
	for _, p := range puncts {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return s[:1]
}

// longOpen reports whether src[i:] opens a long bracket ([[ or [==[) and
// its level.
func longOpen(src string, i int) (int, bool) {
	if i >= len(src) || src[i] != '[' {
		return 0, false
	}
	j := i + 1
	for j < len(src) && src[j] == '=' {
		j++
	}
	if j < len(src) && src[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// longBody finds the end of a long bracket of level lvl whose body starts at
// i; it returns the index after the closing bracket and the newlines in it.
func longBody(src string, i, lvl, line int) (end, lines int, err error) {
	closing := "]" + strings.Repeat("=", lvl) + "]"
	k := strings.Index(src[i:], closing)
	if k < 0 {
		return 0, 0, fmt.Errorf("line %d: unfinished long string or comment", line)
	}
	return i + k + len(closing), strings.Count(src[i:i+k], "\n"), nil
}

// quoted reads a short string starting at src[i].
func quoted(src string, i, line int) (string, int, error) {
	q := src[i]
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == q:
			return b.String(), j + 1, nil
		case c == '\n':
			return "", 0, fmt.Errorf("line %d: unfinished string", line)
		case c == '\\' && j+1 < len(src):
			j++
			switch e := src[j]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\n':
				b.WriteByte('\n')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
		j++
	}
	return "", 0, fmt.Errorf("line %d: unfinished string", line)
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || isDigit(c) }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
