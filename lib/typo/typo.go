// Package typo suggests what a mistyped name was meant to be: a console
// command, a config option, a hook name. One measure everywhere, so every
// "did you mean" in msyshost agrees.
package typo

import (
	"sort"
	"strings"
)

// Distance is the optimal string alignment distance between a and b, in
// bytes: insertions, deletions, substitutions and swaps of two neighbours
// each count one, since a swap is the commonest slip of the fingers.
func Distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// Near returns the candidates within a few edits of word, compared
// case-insensitively, closest first and then in alphabetical order. The
// allowance grows with the word: 1 edit up to 4 bytes, 2 up to 8, then 3.
func Near(word string, candidates []string) []string {
	w := strings.ToLower(word)
	limit := 3
	switch {
	case len(w) <= 4:
		limit = 1
	case len(w) <= 8:
		limit = 2
	}
	type hit struct {
		s string
		d int
	}
	var hits []hit
	for _, c := range candidates {
		if d := Distance(w, strings.ToLower(c)); d <= limit {
			hits = append(hits, hit{c, d})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].d != hits[j].d {
			return hits[i].d < hits[j].d
		}
		return hits[i].s < hits[j].s
	})
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.s
	}
	return out
}
