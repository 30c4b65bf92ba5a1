package config

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// maxDepth bounds scope nesting; real configs use four or five levels.
const maxDepth = 100

type parser struct {
	includes bool     // Load: follow include directives
	stack    []string // files being read, outermost first, for cycle detection
	names    []string // the same, as written, for the error message
	files    []string // every file and included directory read, in order
}

// Parse reads a config held in memory; name is used in positions. It touches
// no file: an include or readonly_include is an error, use Load for those.
func Parse(name string, src []byte) (*Config, error) {
	return parse(name, src, false)
}

// Load reads the config file at path and every file it includes. Include
// paths are relative to the including file's directory; a directory includes
// its files in lexical order, skipping dot-files and subdirectories (a
// symlink to a directory counts as one).
// Momentum's fallback to its config search path (conf/global, conf/NODE,
// conf/default) is not followed.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parse(path, src, true)
}

func parse(name string, src []byte, includes bool) (*Config, error) {
	p := &parser{includes: includes}
	root := &Node{Pos: Pos{File: name, Line: 1, Col: 1}}
	p.push(name)
	if err := p.body(newLexer(name, src), root, false, 0, false); err != nil {
		return nil, err
	}
	c := &Config{root: root, files: p.files}
	if err := c.checkScriptlet(); err != nil {
		return nil, err
	}
	return c, nil
}

// push marks name as being read. Files are told apart by their resolved
// absolute path, so a cycle through a symlink or "../" is still a cycle.
func (p *parser) push(name string) {
	key := name
	if p.includes {
		if abs, err := filepath.Abs(name); err == nil {
			key = abs
		}
		if real, err := filepath.EvalSymlinks(key); err == nil {
			key = real
		}
	}
	p.stack = append(p.stack, key)
	p.names = append(p.names, name)
	if !slices.Contains(p.files, name) {
		p.files = append(p.files, name)
	}
}

func (p *parser) pop() {
	p.stack = p.stack[:len(p.stack)-1]
	p.names = p.names[:len(p.names)-1]
}

// body reads statements into n until the '}' closing n (open) or the end of
// the file (the top file, or an included one, which must be balanced on its
// own). depth counts the scopes n is nested in.
func (p *parser) body(lx *lexer, n *Node, ro bool, depth int, open bool) error {
	for {
		t, err := lx.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case tEOF:
			if open {
				return errorf(t.pos, "expected '}' to close %s opened at %s, found end of file", n.title(), n.Pos)
			}
			return nil
		case tRBrace:
			if !open {
				return errorf(t.pos, "unexpected '}': no scope is open")
			}
			return nil
		case tWord:
			if err := p.statement(lx, n, t, ro, depth); err != nil {
				return err
			}
		default:
			return errorf(t.pos, "expected an option or scope name, found %s", t.describe())
		}
	}
}

func (p *parser) statement(lx *lexer, n *Node, name token, ro bool, depth int) error {
	t, err := lx.next()
	if err != nil {
		return err
	}
	if kw := strings.ToLower(name.text); kw == "include" || kw == "readonly_include" {
		if t.kind != tWord && t.kind != tString {
			return errorf(t.pos, "expected a path after %s, found %s", name.text, t.describe())
		}
		return p.include(name, t, n, ro || kw == "readonly_include", depth)
	}
	switch t.kind {
	case tEquals:
		v, err := value(lx, name)
		if err != nil {
			return err
		}
		n.Options = append(n.Options, Option{Name: name.text, Value: v, Pos: name.pos, ReadOnly: ro})
		return nil
	case tLBrace:
		return p.scope(lx, n, &Node{Kind: name.text, Pos: name.pos, ReadOnly: ro}, depth)
	case tWord, tString:
		open, err := lx.next()
		if err != nil {
			return err
		}
		child := &Node{Kind: name.text, Name: t.text, Named: true, Pos: name.pos, ReadOnly: ro}
		if open.kind != tLBrace {
			return errorf(open.pos, "expected '{' after %s, found %s", child.title(), open.describe())
		}
		if err := child.compileRegex(t.pos); err != nil {
			return err
		}
		return p.scope(lx, n, child, depth)
	}
	return errorf(t.pos, "expected '=' or '{' after %q, found %s", name.text, t.describe())
}

func (p *parser) scope(lx *lexer, parent, child *Node, depth int) error {
	if depth+1 > maxDepth {
		return errorf(child.Pos, "scopes nested more than %d deep", maxDepth)
	}
	parent.Children = append(parent.Children, child)
	return p.body(lx, child, child.ReadOnly, depth+1, true)
}

// value reads what follows `name =`.
func value(lx *lexer, name token) (Value, error) {
	v := Value{option: name.text, pos: name.pos}
	t, err := lx.next()
	if err != nil {
		return v, err
	}
	switch t.kind {
	case tWord, tString:
		v.text = t.text
		return v, nil
	case tLParen:
		v.kind = List
		v.items = []string{}
		for {
			it, err := lx.next()
			if err != nil {
				return v, err
			}
			switch it.kind {
			case tRParen:
				return v, nil
			case tWord, tString:
				v.items = append(v.items, it.text)
			case tEOF:
				return v, errorf(it.pos, "expected ')' to close the list opened at %s, found end of file", t.pos)
			default:
				return v, errorf(it.pos, "expected a list item or ')', found %s", it.describe())
			}
		}
	case tLBrack:
		v.kind = Dict
		v.pairs = []Pair{}
		for {
			k, err := lx.next()
			if err != nil {
				return v, err
			}
			switch k.kind {
			case tRBrack:
				return v, nil
			case tWord, tString:
			case tEOF:
				return v, errorf(k.pos, "expected ']' to close the dictionary opened at %s, found end of file", t.pos)
			default:
				return v, errorf(k.pos, "expected a dictionary key or ']', found %s", k.describe())
			}
			eq, err := lx.next()
			if err != nil {
				return v, err
			}
			if eq.kind != tEquals {
				return v, errorf(eq.pos, "expected '=' after dictionary key %q, found %s", k.text, eq.describe())
			}
			val, err := lx.next()
			if err != nil {
				return v, err
			}
			if val.kind != tWord && val.kind != tString {
				return v, errorf(val.pos, "expected a value for dictionary key %q, found %s", k.text, val.describe())
			}
			v.pairs = append(v.pairs, Pair{Key: k.text, Value: val.text})
		}
	}
	return v, errorf(t.pos, "expected a value after %q =, found %s", name.text, t.describe())
}

// include reads a file, or each file of a directory, into n as if its text
// stood where the directive is.
func (p *parser) include(kw, path token, n *Node, ro bool, depth int) error {
	if !p.includes {
		return errorf(kw.pos, "%s %q: includes are only followed by Load", kw.text, path.text)
	}
	target := path.text
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(kw.pos.File), target)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return errorf(path.pos, "%s %q: %v", kw.text, path.text, err)
	}
	if !fi.IsDir() {
		return p.includeFile(kw, target, n, ro, depth)
	}
	if !slices.Contains(p.files, target) {
		p.files = append(p.files, target)
	}
	entries, err := os.ReadDir(target) // sorted by file name
	if err != nil {
		return errorf(path.pos, "%s %q: %v", kw.text, path.text, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		file := filepath.Join(target, e.Name())
		if !e.Type().IsRegular() {
			// ReadDir reports a symlink as a symlink: follow it to learn
			// whether it names a directory, which is skipped like any other.
			fi, err := os.Stat(file)
			if err != nil {
				return errorf(path.pos, "%s %q: %v", kw.text, path.text, err)
			}
			if fi.IsDir() {
				continue
			}
		}
		if err := p.includeFile(kw, file, n, ro, depth); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) includeFile(kw token, file string, n *Node, ro bool, depth int) error {
	p.push(file)
	defer p.pop()
	key := p.stack[len(p.stack)-1]
	for i, k := range p.stack[:len(p.stack)-1] {
		if k == key {
			return errorf(kw.pos, "include cycle: %s", strings.Join(p.names[i:], " -> "))
		}
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return errorf(kw.pos, "%s: %v", kw.text, err)
	}
	return p.body(newLexer(file, src), n, ro, depth, false)
}

// title names a scope in messages: `Domain "example.com"` or `alerting`.
func (n *Node) title() string {
	if n.Named {
		return n.Kind + " " + strconv.Quote(n.Name)
	}
	return n.Kind
}

// compileRegex compiles a regex domain's pattern. The pattern is matched
// case-insensitively, because domain names compare that way.
func (n *Node) compileRegex(at Pos) error {
	if !strings.EqualFold(n.Kind, "domain") || len(n.Name) < 2 ||
		!strings.HasPrefix(n.Name, "/") || !strings.HasSuffix(n.Name, "/") {
		return nil
	}
	re, err := regexp.Compile("(?i)" + n.Name[1:len(n.Name)-1])
	if err != nil {
		return errorf(at, "regex domain %q: %v", n.Name, err)
	}
	n.re = re
	return nil
}
