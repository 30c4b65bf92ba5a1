// Package pcre is the Lua module msys.pcre: PCRE match, replace and split
// (PCRE2 through go.elara.ws/pcre, so lookaround, backreferences,
// possessive quantifiers and named groups behave as in Momentum, not as Go's
// regexp).
package pcre

import (
	"regexp"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.pcre", Open: open, Notes: map[string]string{
		"msys.pcre.split":   "drops trailing empty pieces, as Perl's split does",
		"msys.pcre.replace": "a bad pattern returns nil, the error and its offset, as match does",
	}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"match":   luahost.Func("match", match),
		"replace": luahost.Func("replace", replace),
		"split":   luahost.Func("split", split),
	})
	return t
}

// cacheSize bounds the compiled patterns a state keeps: scripts match with
// a handful of literal patterns, compiled once each.
const cacheSize = 128

// cache holds a state's compiled patterns. A state runs one call at a time,
// so a compiled pattern (which keeps a copy of its last subject) is never
// used by two goroutines at once.
type cache struct {
	byPattern map[string]*message.Regexp
	order     []string
}

var cacheClass = luahost.NewClass[cache]("msys.pcre:_cache", "pcre cache")

const cacheKey = "msys.pcre.cache"

func compiled(a luahost.Args, pattern string) (*message.Regexp, error) {
	reg := a.L.Get(lua.RegistryIndex).(*lua.LTable)
	c := cacheClass.To(reg.RawGetString(cacheKey))
	if c == nil {
		c = &cache{byPattern: map[string]*message.Regexp{}}
		reg.RawSetString(cacheKey, cacheClass.Push(a.L, c))
	}
	if re, ok := c.byPattern[pattern]; ok {
		return re, nil
	}
	re, err := message.CompileRegexp(pattern)
	if err != nil {
		return nil, err
	}
	if len(c.order) == cacheSize {
		old := c.order[0]
		c.order = c.order[1:]
		c.byPattern[old].Close()
		delete(c.byPattern, old)
	}
	c.byPattern[pattern] = re
	c.order = append(c.order, pattern)
	return re, nil
}

var offsetRE = regexp.MustCompile(`offset (\d+)|^(\d+):`)

// compileFailure returns nil, the PCRE error text and its offset in the
// pattern: match's documented errstr and errnum.
func compileFailure(a luahost.Args, err error) int {
	n := -1
	if m := offsetRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ = strconv.Atoi(m[1] + m[2])
	}
	return a.Push(lua.LNil, lua.LString(err.Error()), lua.LNumber(n))
}

// msys.pcre.match(subject, pattern) → matches, or nil when nothing
// matched, or nil, errstr, errnum when the pattern does not compile.
// matches[0] is the whole match, matches[1..n] the captures (a capture that
// took no part is absent), and a named capture (?P<name>...) is also under
// its name.
func match(a luahost.Args) int {
	subject, pattern := a.String(1), a.String(2)
	re, err := compiled(a, pattern)
	if err != nil {
		return compileFailure(a, err)
	}
	m, err := re.Find([]byte(subject))
	if err != nil {
		return a.Fail(err)
	}
	if m == nil {
		return a.Push(lua.LNil)
	}
	return a.Push(MatchTable(a.L, m))
}

// MatchTable is a match as msys.pcre.match returns it: [0] the whole
// match, [1..n] the captures that took part, named captures also under
// their names (msg:body_match and the other msg:*_match use it too).
func MatchTable(L *lua.LState, m *message.Match) *lua.LTable {
	t := L.CreateTable(len(m.Groups), len(m.Names)+1)
	for i, g := range m.Groups {
		if m.Set[i] {
			t.RawSetInt(i, lua.LString(g))
		}
	}
	for name, i := range m.Names {
		if i < len(m.Groups) && m.Set[i] {
			t.RawSetString(name, lua.LString(m.Groups[i]))
		}
	}
	return t
}

// msys.pcre.replace(subject, pattern, replacement) → subject with every
// match replaced; $1, ${1}, $name stand for captures, $0 for the match and
// $$ for a dollar.
func replace(a luahost.Args) int {
	subject, pattern, repl := a.String(1), a.String(2), a.String(3)
	re, err := compiled(a, pattern)
	if err != nil {
		return compileFailure(a, err)
	}
	out, _, err := re.ReplaceAll([]byte(subject), repl)
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LString(out))
}

// msys.pcre.split(subject, pattern) → an array of the pieces between the
// matches.
func split(a luahost.Args) int {
	subject, pattern := a.String(1), a.String(2)
	re, err := compiled(a, pattern)
	if err != nil {
		return compileFailure(a, err)
	}
	pieces, err := re.Split([]byte(subject))
	if err != nil {
		return a.Fail(err)
	}
	t := a.L.CreateTable(len(pieces), 0)
	for _, p := range pieces {
		t.Append(lua.LString(p))
	}
	return a.Push(t)
}
