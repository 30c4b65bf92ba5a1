package luahost

import (
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/mstore"
	"msyshost/lib/spool"
)

// Binding is a Lua-facing module that lib/msys packages register in init().
// Every state opens every binding when it is built, so `require(Name)` only
// returns what Open built (Momentum scripts are not penalised for a missing
// require, and a present one behaves the same).
type Binding struct {
	Name string // the require name, e.g. "msys.extended.message"
	// Open builds the module in L. The returned value (a table, or nil for a
	// binding that only adds methods to a class) is stored in package.loaded
	// and, for dotted names, at that path under the globals.
	Open func(L *lua.LState) lua.LValue
}

var (
	bindingsMu sync.Mutex
	bindings   = map[string]Binding{}
)

// Register adds a binding. A duplicate name panics: two packages claiming
// the same require name is a programming error.
func Register(b Binding) {
	bindingsMu.Lock()
	defer bindingsMu.Unlock()
	if _, dup := bindings[b.Name]; dup {
		panic(fmt.Sprintf("luahost: binding %q registered twice", b.Name))
	}
	bindings[b.Name] = b
}

// registeredBindings returns the bindings sorted by name, so "msys" opens
// before "msys.core" before "msys.core.x".
func registeredBindings() []Binding {
	bindingsMu.Lock()
	defer bindingsMu.Unlock()
	out := make([]Binding, 0, len(bindings))
	for _, b := range bindings {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Services is what bindings reach outside the VM. One Services value serves
// every generation of a host.
type Services struct {
	Store    mstore.Store
	Injector spool.Injector
	Logger   *slog.Logger
	// Now is the host's clock; the scenario runner moves it.
	Now func() time.Time
	// Print receives each line a script prints, with the script's name.
	// Nil means the structured log only.
	Print func(script, line string)
}

func (s *Services) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ServicesOf returns the services of the host that built L.
func ServicesOf(L *lua.LState) *Services { return stateOf(L).host.services }

// Now returns the host clock's time for L.
func Now(L *lua.LState) time.Time { return ServicesOf(L).now() }
