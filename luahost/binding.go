package luahost

import (
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
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
	// Unavailable, instead of Open, names what a module needs that msyshost
	// cannot have (a vendor engine): require raises an error saying so,
	// rather than returning a table that fails later or fakes results.
	Unavailable string
	// Notes says how functions differ from Momentum's, by Lua name
	// ("msys.pcre.match", "ec_message:binding"), for the compatibility
	// matrix and `msyshost check --compat`.
	Notes map[string]string
	// Missing lists documented functions of the module that msyshost does
	// not provide, with why.
	Missing map[string]string
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
// every generation of a host. The host's own needs are fields; what a
// binding needs (msys.mstore's store, msg:inject's spool) is a Service the
// binding's package declares and the assembly sets, so luahost knows no
// domain type.
type Services struct {
	Logger *slog.Logger
	// Now is the host's clock; the scenario runner moves it.
	Now func() time.Time
	// Print receives each line a script prints, with the script's name.
	// Nil means the structured log only.
	Print func(script, line string)

	mu     sync.Mutex
	values map[any]any
}

func (s *Services) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Service is a typed slot of Services that a binding package declares for
// something it reaches outside the VM.
type Service[T any] struct {
	name string
	make func() T
}

// NewService declares a service; name says what it is in errors.
func NewService[T any](name string) *Service[T] { return &Service[T]{name: name} }

// NewServiceDefault declares a service the host makes itself with make when
// the assembly sets none: registries that scripts fill (console commands'
// kin, HTTP endpoints, auth schemes) and Go code reads with From.
func NewServiceDefault[T any](name string, make func() T) *Service[T] {
	return &Service[T]{name: name, make: make}
}

// Name is the service's name.
func (k *Service[T]) Name() string { return k.name }

// Set makes v the service in s. Set services before the host is built.
func (k *Service[T]) Set(s *Services, v T) *Services {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = map[any]any{}
	}
	s.values[k] = v
	return s
}

// From returns the service in s; a service with a default is made on first
// use. ok is false when it is unset and has no default.
func (k *Service[T]) From(s *Services) (v T, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok = s.values[k].(T); ok || k.make == nil {
		return v, ok
	}
	v = k.make()
	if s.values == nil {
		s.values = map[any]any{}
	}
	s.values[k] = v
	return v, true
}

// Get returns the service of the host that built L; ok is false when the
// assembly set none and it has no default.
func (k *Service[T]) Get(L *lua.LState) (v T, ok bool) { return k.From(ServicesOf(L)) }

// ServicesOf returns the services of the host that built L.
func ServicesOf(L *lua.LState) *Services { return stateOf(L).host.services }

// Now returns the host clock's time for L.
func Now(L *lua.LState) time.Time { return ServicesOf(L).now() }

// Log returns the host's logger, tagged with the script running in L.
func Log(L *lua.LState) *slog.Logger {
	st := stateOf(L)
	if st.script == "" {
		return st.host.log
	}
	return st.host.log.With("script", st.script)
}
