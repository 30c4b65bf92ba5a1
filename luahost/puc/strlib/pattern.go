package strlib

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/number"
)

// The matcher below follows PUC 5.1's backtracking pattern semantics
// (lstrlib): single-character classes with *, +, - and ?, captures and
// position captures, back-references, %b and %f, and the same error texts.

const (
	maxCaptures   = 32 // LUA_MAXCAPTURES
	capUnfinished = -1
	capPosition   = -2
	escape        = '%'
	specials      = "^$*+?.([%-"
)

type capture struct {
	init, len int
}

type matcher struct {
	L     *lua.LState
	src   string
	pat   string // cut at its first NUL: PUC patterns are C strings
	level int
	caps  [maxCaptures]capture
}

func (m *matcher) fail(msg string) {
	lauxlib.Raise(m.L, "%s", msg)
}

// patAt returns the pattern byte at p, and 0 past the end, as the C code
// sees the terminating NUL.
func (m *matcher) patAt(p int) byte {
	if p < len(m.pat) {
		return m.pat[p]
	}
	return 0
}

func (m *matcher) srcAt(s int) byte {
	if s < len(m.src) {
		return m.src[s]
	}
	return 0
}

// classEnd returns the index just past the single-character class at p.
func (m *matcher) classEnd(p int) int {
	c := m.patAt(p)
	p++
	switch c {
	case escape:
		if p >= len(m.pat) {
			m.fail("malformed pattern (ends with '%')")
		}
		return p + 1
	case '[':
		if m.patAt(p) == '^' {
			p++
		}
		for {
			if p >= len(m.pat) {
				m.fail("malformed pattern (missing ']')")
			}
			c := m.pat[p]
			p++
			if c == escape && p < len(m.pat) {
				p++
			}
			if m.patAt(p) == ']' {
				return p + 1
			}
		}
	}
	return p
}

// matchClass reports whether c belongs to the class letter cl (%a, %d...);
// an upper-case letter negates, any other byte stands for itself.
func matchClass(c, cl byte) bool {
	var res bool
	switch cl | 0x20 {
	case 'a':
		res = number.IsAlpha(c)
	case 'c':
		res = c < 32 || c == 127
	case 'd':
		res = number.IsDigit(c)
	case 'l':
		res = c >= 'a' && c <= 'z'
	case 'p':
		res = c > 32 && c < 127 && !number.IsAlnum(c)
	case 's':
		res = number.IsSpace(c)
	case 'u':
		res = c >= 'A' && c <= 'Z'
	case 'w':
		res = number.IsAlnum(c)
	case 'x':
		res = number.IsXDigit(c)
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if cl >= 'A' && cl <= 'Z' {
		return !res
	}
	return res
}

// matchBracket tests c against the set pat[p:ec], where pat[p] is '[' and
// pat[ec] is the closing ']'.
func (m *matcher) matchBracket(c byte, p, ec int) bool {
	want := true
	if m.patAt(p+1) == '^' {
		want = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case m.pat[p] == escape:
			p++
			if matchClass(c, m.patAt(p)) {
				return want
			}
		case m.patAt(p+1) == '-' && p+2 < ec:
			p += 2
			if m.pat[p-2] <= c && c <= m.pat[p] {
				return want
			}
		case m.pat[p] == c:
			return want
		}
	}
	return !want
}

func (m *matcher) singleMatch(c byte, p, ep int) bool {
	switch m.pat[p] {
	case '.':
		return true
	case escape:
		return matchClass(c, m.patAt(p+1))
	case '[':
		return m.matchBracket(c, p, ep-1)
	}
	return m.pat[p] == c
}

// match tries pattern position p at subject position s and returns the
// end of the match, or -1.
func (m *matcher) match(s, p int) int {
	for {
		if p >= len(m.pat) {
			return s
		}
		switch m.pat[p] {
		case '(':
			if m.patAt(p+1) == ')' {
				return m.startCapture(s, p+2, capPosition)
			}
			return m.startCapture(s, p+1, capUnfinished)
		case ')':
			return m.endCapture(s, p+1)
		case '$':
			if p+1 == len(m.pat) {
				if s == len(m.src) {
					return s
				}
				return -1
			}
		case escape:
			switch next := m.patAt(p + 1); {
			case next == 'b':
				s = m.matchBalance(s, p+2)
				if s == -1 {
					return -1
				}
				p += 4
				continue
			case next == 'f':
				p += 2
				if m.patAt(p) != '[' {
					m.fail("missing '[' after '%f' in pattern")
				}
				ep := m.classEnd(p)
				var prev byte
				if s > 0 {
					prev = m.src[s-1]
				}
				if m.matchBracket(prev, p, ep-1) || !m.matchBracket(m.srcAt(s), p, ep-1) {
					return -1
				}
				p = ep
				continue
			case number.IsDigit(next):
				s = m.matchCapture(s, next)
				if s == -1 {
					return -1
				}
				p += 2
				continue
			}
		}
		ep := m.classEnd(p)
		ok := s < len(m.src) && m.singleMatch(m.src[s], p, ep)
		switch m.patAt(ep) {
		case '?':
			if ok {
				if r := m.match(s+1, ep+1); r != -1 {
					return r
				}
			}
			p = ep + 1
			continue
		case '*':
			return m.maxExpand(s, p, ep)
		case '+':
			if !ok {
				return -1
			}
			return m.maxExpand(s+1, p, ep)
		case '-':
			return m.minExpand(s, p, ep)
		}
		if !ok {
			return -1
		}
		s++
		p = ep
	}
}

func (m *matcher) maxExpand(s, p, ep int) int {
	i := 0
	for s+i < len(m.src) && m.singleMatch(m.src[s+i], p, ep) {
		i++
	}
	for ; i >= 0; i-- {
		if r := m.match(s+i, ep+1); r != -1 {
			return r
		}
	}
	return -1
}

func (m *matcher) minExpand(s, p, ep int) int {
	for {
		if r := m.match(s, ep+1); r != -1 {
			return r
		}
		if s < len(m.src) && m.singleMatch(m.src[s], p, ep) {
			s++
		} else {
			return -1
		}
	}
}

func (m *matcher) startCapture(s, p, what int) int {
	if m.level >= maxCaptures {
		m.fail("too many captures")
	}
	m.caps[m.level] = capture{init: s, len: what}
	m.level++
	r := m.match(s, p)
	if r == -1 {
		m.level--
	}
	return r
}

func (m *matcher) endCapture(s, p int) int {
	l := -1
	for i := m.level - 1; i >= 0; i-- {
		if m.caps[i].len == capUnfinished {
			l = i
			break
		}
	}
	if l < 0 {
		m.fail("invalid pattern capture")
	}
	m.caps[l].len = s - m.caps[l].init
	r := m.match(s, p)
	if r == -1 {
		m.caps[l].len = capUnfinished
	}
	return r
}

// matchBalance is %bxy at pattern position p (pointing at x).
func (m *matcher) matchBalance(s, p int) int {
	if p+1 >= len(m.pat) {
		m.fail("unbalanced pattern")
	}
	open, close := m.pat[p], m.pat[p+1]
	if s >= len(m.src) || m.src[s] != open {
		return -1
	}
	depth := 1
	for i := s + 1; i < len(m.src); i++ {
		switch m.src[i] {
		case close:
			depth--
			if depth == 0 {
				return i + 1
			}
		case open:
			depth++
		}
	}
	return -1
}

// matchCapture is a back-reference %1..%9.
func (m *matcher) matchCapture(s int, digit byte) int {
	l := m.checkCapture(digit)
	c := m.caps[l]
	if c.len < 0 || len(m.src)-s < c.len || m.src[c.init:c.init+c.len] != m.src[s:s+c.len] {
		return -1
	}
	return s + c.len
}

func (m *matcher) checkCapture(digit byte) int {
	l := int(digit) - '1'
	if l < 0 || l >= m.level || m.caps[l].len == capUnfinished {
		m.fail("invalid capture index")
	}
	return l
}

// captureValue is capture i of a match spanning src[s:e]; with no
// captures at all, capture 0 is the whole match.
func (m *matcher) captureValue(i, s, e int) lua.LValue {
	if i >= m.level {
		if i != 0 {
			m.fail("invalid capture index")
		}
		return lua.LString(m.src[s:e])
	}
	c := m.caps[i]
	switch c.len {
	case capUnfinished:
		m.fail("unfinished capture")
	case capPosition:
		return lua.LNumber(c.init + 1)
	}
	return lua.LString(m.src[c.init : c.init+c.len])
}

// pushCaptures pushes the captures of a match (the whole match when
// there are none and wholeIfNone) and returns how many it pushed.
func (m *matcher) pushCaptures(s, e int, wholeIfNone bool) int {
	n := m.level
	if n == 0 && wholeIfNone {
		n = 1
	}
	for i := range n {
		m.L.Push(m.captureValue(i, s, e))
	}
	return n
}
