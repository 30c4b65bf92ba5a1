package luahost

import (
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Catalog is what scripts can reach, as a fresh state has it: every
// registered module with its functions and constants and the class methods
// it adds, and every class. `msyshost api` prints it and `msyshost check
// --compat` checks scripts against it, so neither is kept by hand.
type Catalog struct {
	Modules []ModuleEntry // by require name
	Classes []ClassEntry  // by class name
}

// ModuleEntry is one require name.
type ModuleEntry struct {
	Name        string
	Unavailable string            // why require fails; "" for a module msyshost has
	Functions   []string          // Lua names, "msys.pcre.match"
	Constants   []string          // "msys.core.VALIDATE_CONT"
	Methods     []string          // class methods it adds, "ec_message:header"
	Notes       map[string]string // how a function differs from Momentum's
	Missing     map[string]string // documented functions it lacks, with why
}

// ClassEntry is one userdata class.
type ClassEntry struct {
	Name    string // "msys.core:_ec_message"
	Label   string // "ec_message"
	Methods []string
	Fields  []string
}

// BuildCatalog opens every binding in a fresh state and records what each
// one made.
func BuildCatalog() *Catalog {
	h := New(Options{PoolSize: 1}, nil)
	defer h.Close()
	cat := &Catalog{}
	seen := map[string]bool{} // "class:method" already attributed
	byName := map[string]*ModuleEntry{}
	// luahost's own msys functions come first, before any binding.
	root := &ModuleEntry{Name: "msys"}
	byName["msys"] = root
	st := h.newStateTraced(nil, func(st *state, b Binding) {
		e := byName[b.Name]
		if e == nil {
			e = &ModuleEntry{Name: b.Name}
			byName[b.Name] = e
		}
		e.Notes, e.Missing = b.Notes, b.Missing
		if t, ok := st.loaded().RawGetString(b.Name).(*lua.LTable); ok {
			listTable(e, b.Name, t)
		}
		for _, cname := range sortedKeys(st.classes) {
			label := labelOf(cname)
			st.classes[cname].methods.ForEach(func(k, _ lua.LValue) {
				key := label + ":" + k.String()
				if !seen[key] {
					seen[key] = true
					e.Methods = append(e.Methods, key)
				}
			})
		}
		sort.Strings(e.Methods)
	})
	defer st.close()
	listTable(root, "msys", st.L.GetGlobal("msys").(*lua.LTable))
	bindingsMu.Lock()
	for _, b := range bindings {
		if b.Unavailable != "" {
			byName[b.Name] = &ModuleEntry{Name: b.Name, Unavailable: b.Unavailable, Notes: b.Notes, Missing: b.Missing}
		}
	}
	bindingsMu.Unlock()
	for _, n := range sortedKeys(byName) {
		cat.Modules = append(cat.Modules, *byName[n])
	}
	for _, cname := range sortedKeys(st.classes) {
		c := st.classes[cname]
		ce := ClassEntry{Name: cname, Label: labelOf(cname)}
		c.methods.ForEach(func(k, _ lua.LValue) { ce.Methods = append(ce.Methods, k.String()) })
		for f := range c.getters {
			ce.Fields = append(ce.Fields, f)
		}
		sort.Strings(ce.Methods)
		sort.Strings(ce.Fields)
		cat.Classes = append(cat.Classes, ce)
	}
	return cat
}

// listTable records a module table's functions and constants; tables in it
// are other modules (msys.core in msys) and are left to their own entry.
func listTable(e *ModuleEntry, prefix string, t *lua.LTable) {
	t.ForEach(func(k, v lua.LValue) {
		ks, ok := k.(lua.LString)
		if !ok {
			return
		}
		name := prefix + "." + string(ks)
		switch v.Type() {
		case lua.LTFunction:
			if !contains(e.Functions, name) {
				e.Functions = append(e.Functions, name)
			}
		case lua.LTNumber, lua.LTString, lua.LTBool:
			if !contains(e.Constants, name) {
				e.Constants = append(e.Constants, name)
			}
		}
	})
	sort.Strings(e.Functions)
	sort.Strings(e.Constants)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// labelOf is a class's label ("ec_message"), or its name without the
// namespace when it was not declared with NewClass.
func labelOf(class string) string {
	classesMu.Lock()
	info, ok := classNames[class]
	classesMu.Unlock()
	if ok {
		return info.label
	}
	if i := strings.LastIndexByte(class, ':'); i >= 0 {
		return strings.TrimPrefix(class[i+1:], "_")
	}
	return class
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
