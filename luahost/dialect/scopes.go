package dialect

import (
	lua "github.com/yuin/gopher-lua"
)

// gopher-lua's compiler records where each local's scope ends into the
// wrong entry of FunctionProto.DbgLocals (it indexes them by register),
// so debug.getlocal and the names in error messages see locals of blocks
// that have ended. The parser knows each block's last line; after
// compiling, fixScopes sets each local's EndPc to the last instruction
// before the first one past that line.

// localScope is one local as the parser declared it.
type localScope struct {
	name    string
	endLine int // 0 while its block is open
}

// funcScopes are a function's locals in declaration order.
type funcScopes struct {
	defined int // LineDefined, 0 for the main chunk
	locals  []localScope
	used    bool
}

func (p *parser) newScopes(defined int) *funcScopes {
	s := &funcScopes{defined: defined}
	p.scopes = append(p.scopes, s)
	return s
}

func (s *funcScopes) add(name string) int {
	s.locals = append(s.locals, localScope{name: name})
	return len(s.locals) - 1
}

// endScopes ends the scopes of the current function's actives from index
// from on, at line, unless they ended already.
func (p *parser) endScopes(from, line int) {
	fs := p.fs
	for _, i := range fs.activeScope[from:] {
		if fs.scopes.locals[i].endLine == 0 {
			fs.scopes.locals[i].endLine = line
		}
	}
	fs.activeScope = fs.activeScope[:from]
}

// fixScopes corrects the EndPc of proto's locals and its nested
// functions' from the parser's scopes. A function whose locals do not
// match the parser's (hidden locals aside) is left as it is.
func fixScopes(proto *lua.FunctionProto, scopes []*funcScopes) {
	for _, s := range scopes {
		if s.used || s.defined != proto.LineDefined || !s.apply(proto) {
			continue
		}
		s.used = true
		break
	}
	for _, child := range proto.FunctionPrototypes {
		fixScopes(child, scopes)
	}
}

// apply matches s's locals with proto's in order, skipping locals of
// proto that s does not know (the dialect's hidden ones, gopher-lua's
// arg), and sets their EndPc; false when they do not match.
func (s *funcScopes) apply(proto *lua.FunctionProto) bool {
	index := make([]int, len(s.locals))
	j := 0
	for i, lv := range proto.DbgLocals {
		if j < len(s.locals) && lv.Name == s.locals[j].name {
			index[j] = i
			j++
		}
	}
	if j != len(s.locals) {
		return false
	}
	lines := proto.DbgSourcePositions
	for k, l := range s.locals {
		lv := proto.DbgLocals[index[k]]
		end := len(proto.Code) - 1
		for pc := lv.StartPc; pc < len(lines); pc++ {
			if lines[pc] > l.endLine {
				end = pc - 1
				break
			}
		}
		lv.EndPc = end
	}
	return true
}
