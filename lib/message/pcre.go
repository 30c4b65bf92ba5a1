package message

import (
	"fmt"
	"regexp"
	"runtime"
	"strconv"

	"go.elara.ws/pcre"
)

// Regexp is a compiled PCRE pattern, as msys.pcre uses. Close frees it.
type Regexp struct {
	re    *pcre.Regexp
	names map[string]int
	// subject holds a heap copy of what is matched: pcre hands the C code
	// the subject's address as a uintptr, which does not keep it alive and
	// goes stale if the subject sat on a goroutine stack that moves.
	subject []byte
}

// heap returns b copied into r.subject, which lives on the heap with r.
func (r *Regexp) heap(b []byte) []byte {
	r.subject = append(r.subject[:0], b...)
	return r.subject
}

// keptSubject bounds the subject buffer a pattern keeps between matches:
// one large message body matched once is not held for the pattern's life
// (a state caches up to 128 patterns).
const keptSubject = 64 << 10

// done lets a large subject buffer go after a match.
func (r *Regexp) done() {
	if cap(r.subject) > keptSubject {
		r.subject = nil
	}
}

// namedGroup finds (?P<name>, (?<name> and (?'name' in a pattern; PCRE
// numbers them, and msys.pcre returns them under their names too.
var namedGroup = regexp.MustCompile(`\(\?P?(?:<([A-Za-z_][A-Za-z0-9_]*)>|'([A-Za-z_][A-Za-z0-9_]*)')`)

// CompileRegexp compiles a PCRE pattern.
func CompileRegexp(pattern string) (r *Regexp, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("pcre: %v", p)
		}
	}()
	re, err := pcre.Compile(pattern)
	if err != nil {
		return nil, err
	}
	r = &Regexp{re: re, names: map[string]int{}}
	for _, m := range namedGroup.FindAllStringSubmatch(pattern, -1) {
		name := m[1] + m[2]
		if i := re.SubexpIndex(name); i > 0 {
			r.names[name] = i
		}
	}
	return r, nil
}

// Close frees the compiled pattern. pcre's own Close is not idempotent
// and also runs as a finalizer, so the finalizer is dropped first.
func (r *Regexp) Close() {
	if r != nil && r.re != nil {
		runtime.SetFinalizer(r.re, nil)
		_ = r.re.Close()
		r.re = nil
	}
}

// Match is the first match of a pattern: Groups[0] the whole match,
// Groups[i] capture i (Set[i] false when it did not take part) and Names
// the named captures' numbers.
type Match struct {
	Groups []string
	Set    []bool
	Names  map[string]int
}

// Find returns the first match in b, nil when there is none.
func (r *Regexp) Find(b []byte) (m *Match, err error) {
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("pcre: %v", p)
		}
	}()
	defer r.done()
	idx := r.re.FindSubmatchIndex(r.heap(b))
	if idx == nil {
		return nil, nil
	}
	m = &Match{Names: r.names}
	for i := 0; i+1 < len(idx); i += 2 {
		s, e := idx[i], idx[i+1]
		if s < 0 || e < s || e > len(b) {
			m.Groups = append(m.Groups, "")
			m.Set = append(m.Set, false)
			continue
		}
		m.Groups = append(m.Groups, string(b[s:e]))
		m.Set = append(m.Set, true)
	}
	return m, nil
}

// ReplaceAll replaces every match in b with repl, where $n and ${n} (and
// $name) stand for captures and $0 for the whole match. It returns the
// result and how many matches were replaced.
func (r *Regexp) ReplaceAll(b []byte, repl string) (out []byte, n int, err error) {
	all, err := r.findAll(b)
	if err != nil || len(all) == 0 {
		return b, 0, err
	}
	out, n = r.replace(b, repl, all)
	return out, n, nil
}

// Split returns the pieces of b between the matches, as Perl's split does:
// trailing empty pieces are dropped, and an empty match between two
// characters splits them.
func (r *Regexp) Split(b []byte) ([][]byte, error) {
	all, err := r.findAll(b)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	last := 0
	for _, idx := range all {
		if idx[0] < last || idx[1] > len(b) || idx[0] > idx[1] {
			continue
		}
		if idx[1] == 0 || idx[0] == len(b) && idx[0] == idx[1] {
			continue // an empty match at either end splits nothing
		}
		out = append(out, b[last:idx[0]])
		last = idx[1]
	}
	out = append(out, b[last:])
	for len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out, nil
}

// findAll returns the submatch indexes of every match in b.
func (r *Regexp) findAll(b []byte) (all [][]int, err error) {
	defer func() {
		if p := recover(); p != nil {
			all, err = nil, fmt.Errorf("pcre: %v", p)
		}
	}()
	defer r.done()
	return r.re.FindAllSubmatchIndex(r.heap(b), -1), nil
}

// replace replaces the matches all (from findAll on b) with repl.
func (r *Regexp) replace(b []byte, repl string, all [][]int) (out []byte, n int) {
	last := 0
	for _, idx := range all {
		if idx[0] < last || idx[1] > len(b) || idx[0] > idx[1] {
			continue
		}
		out = append(out, b[last:idx[0]]...)
		out = append(out, r.expand(repl, b, idx)...)
		last = idx[1]
		n++
	}
	out = append(out, b[last:]...)
	return out, n
}

func (r *Regexp) expand(repl string, src []byte, idx []int) []byte {
	var out []byte
	group := func(i int) []byte {
		if 2*i+1 >= len(idx) {
			return nil
		}
		s, e := idx[2*i], idx[2*i+1]
		if s < 0 || e < s || e > len(src) {
			return nil
		}
		return src[s:e]
	}
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '$' || i+1 == len(repl) {
			out = append(out, c)
			continue
		}
		j := i + 1
		if repl[j] == '$' {
			out = append(out, '$')
			i = j
			continue
		}
		braced := repl[j] == '{'
		if braced {
			j++
		}
		k := j
		digits := k < len(repl) && repl[k] >= '0' && repl[k] <= '9'
		for k < len(repl) && (digits && repl[k] >= '0' && repl[k] <= '9' || !digits && (repl[k] == '_' || repl[k] >= '0' && repl[k] <= '9' || repl[k] >= 'a' && repl[k] <= 'z' || repl[k] >= 'A' && repl[k] <= 'Z')) {
			k++
		}
		name := repl[j:k]
		if braced {
			if k >= len(repl) || repl[k] != '}' {
				out = append(out, c)
				continue
			}
			k++
		}
		if name == "" {
			out = append(out, c)
			continue
		}
		if n, err := strconv.Atoi(name); err == nil {
			out = append(out, group(n)...)
		} else if g, ok := r.names[name]; ok {
			out = append(out, group(g)...)
		} else {
			out = append(out, repl[i:k]...)
		}
		i = k - 1
	}
	return out
}
