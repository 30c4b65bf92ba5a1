package compat

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"msyshost/lib/hook"
	"msyshost/luahost"
)

// Kind is what a script uses.
type Kind string

const (
	Module   Kind = "require"
	Function Kind = "function"
	Constant Kind = "constant"
	Method   Kind = "method"
	Hook     Kind = "hook"
)

// Status is how far msyshost supports a use.
type Status int

const (
	Supported Status = iota
	Partial          // supported, with a difference (Detail)
	Unsupported
)

func (s Status) String() string {
	return [...]string{"supported", "partial", "not supported"}[s]
}

// Use is one name a script uses, reported once with its first line and
// how often it occurs.
type Use struct {
	Kind   Kind
	Name   string
	Line   int
	Count  int
	Status Status
	Detail string
}

// Report is the migration report of one script.
type Report struct {
	File string
	Uses []Use
}

// Counts returns how many uses have each status.
func (r Report) Counts() (supported, partial, unsupported int) {
	for _, u := range r.Uses {
		switch u.Status {
		case Supported:
			supported++
		case Partial:
			partial++
		default:
			unsupported++
		}
	}
	return
}

// Index answers the questions a report asks of the registries.
type Index struct {
	modules   map[string]luahost.ModuleEntry
	functions map[string]string // name → note ("" when none)
	constants map[string]bool
	missing   map[string]string
	methods   map[string][]string // method name → class labels
	notes     map[string]string
	roots     map[string]bool // global names that start module paths
}

// NewIndex indexes a catalog.
func NewIndex(cat *luahost.Catalog) *Index {
	x := &Index{
		modules:   map[string]luahost.ModuleEntry{},
		functions: map[string]string{},
		constants: map[string]bool{},
		missing:   map[string]string{},
		methods:   map[string][]string{},
		notes:     map[string]string{},
		roots:     map[string]bool{"msys": true},
	}
	for _, m := range cat.Modules {
		x.modules[m.Name] = m
		x.roots[strings.SplitN(m.Name, ".", 2)[0]] = true
		for k, v := range m.Notes {
			x.notes[k] = v
		}
		for k, v := range m.Missing {
			x.missing[k] = v
		}
		for _, f := range m.Functions {
			x.functions[f] = ""
		}
		for _, c := range m.Constants {
			x.constants[c] = true
		}
	}
	for f := range x.functions {
		x.functions[f] = x.notes[f]
	}
	for _, c := range cat.Classes {
		for _, m := range c.Methods {
			x.methods[m] = append(x.methods[m], c.Label)
		}
	}
	return x
}

// Check reads one script and reports what it uses. searchPath is where its
// own Lua modules live, for require.
func (x *Index) Check(file string, src []byte, searchPath []string) (Report, error) {
	toks, err := scan(string(src))
	if err != nil {
		return Report{File: file}, err
	}
	a := &analysis{x: x, toks: toks, aliases: map[string]string{}, uses: map[string]*Use{},
		defs: map[string][]def{}, registered: map[string]bool{}, search: searchPath}
	a.walk()
	a.hooks()
	r := Report{File: file}
	for _, u := range a.uses {
		r.Uses = append(r.Uses, *u)
	}
	sort.Slice(r.Uses, func(i, j int) bool {
		if r.Uses[i].Line != r.Uses[j].Line {
			return r.Uses[i].Line < r.Uses[j].Line
		}
		return r.Uses[i].Name < r.Uses[j].Name
	})
	return r, nil
}

type def struct {
	name string
	line int
}

type analysis struct {
	x          *Index
	toks       []token
	aliases    map[string]string // local name → module or table path
	uses       map[string]*Use
	defs       map[string][]def // table name → methods defined on it
	registered map[string]bool  // tables passed to msys.registerModule
	search     []string
}

func (a *analysis) at(i int) token {
	if i >= 0 && i < len(a.toks) {
		return a.toks[i]
	}
	return token{kind: tEOF}
}

func (a *analysis) is(i int, kind tokKind, text string) bool {
	t := a.at(i)
	return t.kind == kind && t.text == text
}

func (a *analysis) walk() {
	for i := 0; i < len(a.toks); i++ {
		t := a.toks[i]
		switch {
		case t.kind == tName && t.text == "function":
			i = a.definition(i)
		case t.kind == tName && t.text == "require" && !a.afterDot(i):
			if s, ok := a.callString(i + 1); ok {
				a.require(s, t.line)
			}
		case t.kind == tName && !a.afterDot(i) && a.is(i+1, tPunct, ".") && a.is(i+3, tPunct, "=") && a.is(i+4, tName, "function"):
			// mod.validate_data = function(self, ...)
			a.defs[t.text] = append(a.defs[t.text], def{a.at(i + 2).text, t.line})
			i += 4
		case t.kind == tName && !a.afterDot(i) && a.root(t.text) != "":
			i = a.chain(i)
		case t.kind == tPunct && t.text == ":" && a.at(i+1).kind == tName && a.callsAt(i+2):
			a.method(a.at(i+1).text, t.line)
		}
		// local NAME = <module path or require>
		if t.kind == tName && t.text == "local" && a.at(i+1).kind == tName && a.is(i+2, tPunct, "=") {
			a.alias(a.at(i+1).text, i+3)
		} else if t.kind == tName && !a.afterDot(i) && a.is(i+1, tPunct, "=") && !a.is(i-1, tName, "local") {
			a.alias(t.text, i+2)
		}
	}
}

// afterDot reports whether token i is a field or method name.
func (a *analysis) afterDot(i int) bool {
	return i > 0 && (a.is(i-1, tPunct, ".") || a.is(i-1, tPunct, ":"))
}

// callsAt reports whether token i starts call arguments.
func (a *analysis) callsAt(i int) bool {
	t := a.at(i)
	return t.kind == tString || t.kind == tPunct && (t.text == "(" || t.text == "{")
}

// callString returns the string argument of a call starting at token i:
// ("x") or "x".
func (a *analysis) callString(i int) (string, bool) {
	if a.at(i).kind == tString {
		return a.at(i).text, true
	}
	if a.is(i, tPunct, "(") && a.at(i+1).kind == tString {
		return a.at(i + 1).text, true
	}
	return "", false
}

// root is the module path a global or alias names, or "".
func (a *analysis) root(name string) string {
	if p, ok := a.aliases[name]; ok {
		return p
	}
	if a.x.roots[name] {
		return name
	}
	return ""
}

// alias records NAME = require("m") or NAME = <path> when the right side
// starts at token i.
func (a *analysis) alias(name string, i int) {
	t := a.at(i)
	if t.kind == tName && t.text == "require" {
		if s, ok := a.callString(i + 1); ok {
			a.aliases[name] = s
		}
		return
	}
	if t.kind != tName {
		return
	}
	p := a.root(t.text)
	if p == "" {
		delete(a.aliases, name)
		return
	}
	j := i + 1
	for a.is(j, tPunct, ".") && a.at(j+1).kind == tName {
		p += "." + a.at(j+1).text
		j += 2
	}
	if a.callsAt(j) || a.is(j, tPunct, ":") {
		delete(a.aliases, name)
		return
	}
	a.aliases[name] = p
}

// chain reads NAME(.NAME)* starting at a module root and records the use;
// it returns the index of the chain's last token.
func (a *analysis) chain(i int) int {
	line := a.at(i).line
	path := a.root(a.at(i).text)
	j := i + 1
	for a.is(j, tPunct, ".") && a.at(j+1).kind == tName {
		path += "." + a.at(j+1).text
		j += 2
	}
	if path == "msys.registerModule" && a.is(j, tPunct, "(") {
		// msys.registerModule("name", tbl)
		k := j + 1
		if a.at(k).kind == tString || a.at(k).kind == tName {
			k++
		}
		if a.is(k, tPunct, ",") && a.at(k+1).kind == tName {
			a.registered[a.at(k+1).text] = true
		}
	}
	if a.is(j, tPunct, "=") && !a.is(j+1, tPunct, "=") {
		return j - 1 // an assignment to the path, not a use
	}
	a.path(path, line, a.callsAt(j))
	return j - 1
}

// path records a use of a dotted name.
func (a *analysis) path(p string, line int, call bool) {
	x := a.x
	if note, ok := x.functions[p]; ok {
		st := Supported
		if note != "" {
			st = Partial
		}
		a.add(Function, p, line, st, note)
		return
	}
	if x.constants[p] {
		a.add(Constant, p, line, Supported, "")
		return
	}
	if why, ok := x.missing[p]; ok {
		a.add(kindOf(call), p, line, Unsupported, why)
		return
	}
	if _, ok := x.modules[p]; ok {
		return // the module table itself
	}
	// The longest module prefix says why the rest is missing.
	for q := p; q != ""; q = parent(q) {
		if m, ok := x.modules[q]; ok {
			rest := strings.TrimPrefix(p, q+".")
			switch {
			case m.Unavailable != "":
				a.add(kindOf(call), p, line, Unsupported, "module "+q+" is not available: "+m.Unavailable)
			case strings.Contains(rest, "."):
				a.add(kindOf(call), p, line, Unsupported, "msyshost has no module "+parent(p))
			default:
				a.add(kindOf(call), p, line, Unsupported, "msyshost's "+q+" has no "+rest)
			}
			return
		}
	}
	if strings.HasPrefix(p, "msys.") || call {
		a.add(kindOf(call), p, line, Unsupported, "msyshost has no "+p)
	}
}

func kindOf(call bool) Kind {
	if call {
		return Function
	}
	return Constant
}

func parent(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// method records obj:name(...) when name is a method of an engine class
// or a documented one msyshost lacks; other names are the script's own.
func (a *analysis) method(name string, line int) {
	labels := a.x.methods[name]
	for _, l := range labels {
		if note, ok := a.x.notes[l+":"+name]; ok {
			a.add(Method, l+":"+name, line, Partial, note)
			return
		}
	}
	if len(labels) > 0 {
		a.add(Method, strings.Join(labels, "|")+":"+name, line, Supported, "")
		return
	}
	for k, why := range a.x.missing {
		if strings.HasSuffix(k, ":"+name) {
			a.add(Method, k, line, Unsupported, why)
			return
		}
	}
}

// definition reads `function a.b:c(` / `function a.b(`; it returns the index
// of the name's last token.
func (a *analysis) definition(i int) int {
	if a.at(i+1).kind != tName {
		return i
	}
	j := i + 1
	names := []string{a.at(j).text}
	for (a.is(j+1, tPunct, ".") || a.is(j+1, tPunct, ":")) && a.at(j+2).kind == tName {
		names = append(names, a.at(j+2).text)
		j += 2
	}
	if len(names) >= 2 {
		tbl := strings.Join(names[:len(names)-1], ".")
		a.defs[tbl] = append(a.defs[tbl], def{names[len(names)-1], a.at(i).line})
	}
	return j
}

// require records require(name).
func (a *analysis) require(name string, line int) {
	if m, ok := a.x.modules[name]; ok {
		if m.Unavailable != "" {
			a.add(Module, name, line, Unsupported, m.Unavailable)
		} else {
			a.add(Module, name, line, Supported, "")
		}
		return
	}
	rel := filepath.FromSlash(strings.ReplaceAll(name, ".", "/")) + ".lua"
	for _, dir := range a.search {
		if fi, err := os.Stat(filepath.Join(dir, rel)); err == nil && !fi.IsDir() {
			a.add(Module, name, line, Supported, "a Lua module on the search path")
			return
		}
	}
	a.add(Module, name, line, Unsupported, "no such module in msyshost or on the search path")
}

// hooks reports the methods of registered modules: known hooks with
// whether msyshost calls them, and likely misspellings.
func (a *analysis) hooks() {
	for tbl, defs := range a.defs {
		if !a.registered[tbl] {
			continue
		}
		for _, d := range defs {
			if spec, ok := hook.Lookup(d.name); ok {
				callers := hook.Callers(d.name)
				switch {
				case d.name == "init" || d.name == "deinit" || d.name == "rsrc_setup":
					a.add(Hook, d.name, d.line, Supported, "run by the Lua host")
				case len(callers) > 0:
					a.add(Hook, spec.Name, d.line, Supported, "called by "+strings.Join(callers, ", "))
				default:
					a.add(Hook, spec.Name, d.line, Partial, "accepted, but nothing in msyshost calls it")
				}
			} else if s := hook.Suggest(d.name); s != "" {
				a.add(Hook, d.name, d.line, Unsupported, "not a known hook; did you mean "+s+"?")
			}
		}
	}
}

func (a *analysis) add(kind Kind, name string, line int, st Status, detail string) {
	key := string(kind) + " " + name
	if u, ok := a.uses[key]; ok {
		u.Count++
		return
	}
	a.uses[key] = &Use{Kind: kind, Name: name, Line: line, Count: 1, Status: st, Detail: detail}
}
