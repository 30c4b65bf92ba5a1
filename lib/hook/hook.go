package hook

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"msyshost/lib/typo"
)

// Family groups hooks by the part of the product that calls them.
type Family string

// The families of the catalog.
const (
	Lifecycle     Family = "lifecycle"
	Validation    Family = "SMTP validation"
	Core          Family = "core"
	Logging       Family = "logging"
	TLS           Family = "TLS"
	Auth          Family = "authentication"
	SMPP          Family = "SMPP"
	MM7           Family = "MM7"
	HTTPDelivery  Family = "HTTP delivery"
	Push          Family = "push delivery"
	XMPP          Family = "XMPP"
	Cluster       Family = "cluster"
	RESTInjection Family = "REST injection"
	Sieve         Family = "Sieve"
	DelayDSN      Family = "delay DSN"
	MsgGen        Family = "msg_gen"
	Seedlist      Family = "seedlist"
)

// Returns says how the host reads what a hook method returns.
type Returns int

const (
	// ReturnsCode: a number; the first module returning something other
	// than Continue decides and the chain stops. nil or a non-number is an
	// error that counts as Continue.
	ReturnsCode Returns = iota
	// ReturnsNone: the return is ignored and every module runs (C hooks
	// returning void, the log hooks).
	ReturnsNone
	// ReturnsValue: a value other than a code (a string, a length); the
	// first non-nil return is the answer.
	ReturnsValue
	// ReturnsTrue: must return true (init); anything else is a failure.
	ReturnsTrue
)

func (r Returns) String() string {
	switch r {
	case ReturnsNone:
		return "ignored"
	case ReturnsValue:
		return "a value"
	case ReturnsTrue:
		return "true"
	}
	return "a code"
}

// Spec is one hook: its name (the method name a module defines), the
// arguments after self, and how its return is read.
type Spec struct {
	Name    string
	Family  Family
	Args    []string
	Returns Returns
}

// Signature is "name(arg, ...)".
func (s Spec) Signature() string { return s.Name + "(" + strings.Join(s.Args, ", ") + ")" }

var (
	byName  map[string]Spec
	byLower map[string]string
	names   []string

	callersMu sync.Mutex
	callers   = map[string][]string{}
)

func init() {
	byName = make(map[string]Spec, len(catalog))
	byLower = make(map[string]string, len(catalog))
	for _, s := range catalog {
		if _, dup := byName[s.Name]; dup {
			panic("hook: " + s.Name + " listed twice")
		}
		byName[s.Name] = s
		byLower[strings.ToLower(s.Name)] = s.Name
		names = append(names, s.Name)
	}
}

// Lookup returns the hook of that name.
func Lookup(name string) (Spec, bool) {
	s, ok := byName[name]
	return s, ok
}

// All returns every known hook, by family then name.
func All() []Spec {
	out := append([]Spec(nil), catalog...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Family != out[j].Family {
			return out[i].Family < out[j].Family
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// CalledBy records that component dispatches the named hooks; it panics on
// a name the catalog does not know, so what msyshost calls stays a subset
// of what Momentum documents. Components call it from init().
func CalledBy(component string, names ...string) {
	callersMu.Lock()
	defer callersMu.Unlock()
	for _, n := range names {
		if _, ok := byName[n]; !ok {
			panic(fmt.Sprintf("hook: %s calls unknown hook %q", component, n))
		}
		callers[n] = append(callers[n], component)
	}
}

// Callers returns the components that dispatch the hook, sorted; none
// means msyshost accepts a method of that name but never calls it.
func Callers(name string) []string {
	callersMu.Lock()
	defer callersMu.Unlock()
	out := append([]string(nil), callers[name]...)
	sort.Strings(out)
	return out
}

// Suggest returns the known hook a misspelt name most likely means, or ""
// when none is close (typo.Near's measure, so every "did you mean" in
// msyshost agrees).
func Suggest(name string) string {
	if _, ok := byName[name]; ok {
		return ""
	}
	if n, ok := byLower[strings.ToLower(name)]; ok {
		return n
	}
	if near := typo.Near(name, names); len(near) > 0 {
		return near[0]
	}
	return ""
}
