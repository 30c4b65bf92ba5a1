package hook

import (
	"fmt"
	"sort"
	"strings"
	"sync"
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
// when none is close: same name in another case, or within two edits
// (insertions, deletions, substitutions, transpositions) of a name at least
// six letters long.
func Suggest(name string) string {
	if _, ok := byName[name]; ok {
		return ""
	}
	if n, ok := byLower[strings.ToLower(name)]; ok {
		return n
	}
	if len(name) < 6 {
		return ""
	}
	const far = 3
	best, bestD := "", far
	for _, s := range catalog {
		d := distance(strings.ToLower(name), strings.ToLower(s.Name), far)
		if d < bestD || d < far && d == bestD && s.Name < best {
			best, bestD = s.Name, d
		}
	}
	return best
}

// distance is the optimal-string-alignment edit distance of a and b, or
// limit when it is limit or more.
func distance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit)
}
