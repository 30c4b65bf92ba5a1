package riaktest

import (
	"cmp"
	"mime"
	"slices"
	"strconv"
	"strings"
)

// This file models webmachine's content negotiation (webmachine 92225b82,
// the version Riak KV 3.2.0 ships): decisions c3/c4 (Accept), e5/e6
// (Accept-Charset) and f6/f7 (Accept-Encoding) of
// webmachine_decision_core, with the choosing functions of
// webmachine_util. A request none of whose choices the resource provides
// is answered 406 Not Acceptable.

// defaultAcceptEncoding is what decision f6 negotiates with when the
// request has no Accept-Encoding header.
const defaultAcceptEncoding = "identity;q=1.0,*;q=0.5"

// defaultEncodings are riak_kv_wm_utils:default_encodings/0, provided for
// an object stored without a content encoding: "identity" and "gzip".
var defaultEncodings = []string{"identity", "gzip"}

// chooseToken is webmachine_util:do_choose/3, which picks a charset (def
// "ISO-8859-1") or an encoding (def "identity") from choices, the ones the
// resource provides, by the request header accept. Its odd answers are
// kept: tokens are compared literally, so "*" matches a provided "" only
// through the fallback to the first choice, and the default is only
// acceptable if the resource provides it, so a resource providing only ""
// refuses both "gzip" and "identity".
func chooseToken(choices []string, accept, def string) (string, bool) {
	type pref struct {
		q   float64
		tok string
	}
	var prefs []pref
	for _, item := range strings.Split(accept, ",") {
		fields := strings.Split(item, ";")
		tok := strings.TrimSpace(fields[0])
		if tok == "" {
			continue
		}
		q := 1.0
		if len(fields) > 1 {
			if v, ok := strings.CutPrefix(strings.TrimSpace(fields[1]), "q="); ok {
				q = parseQ(v)
			}
		}
		prefs = append(prefs, pref{q, tok})
	}
	// build_conneg_list sorts the {Prio, Token} tuples and reverses them:
	// highest q first and, among equal q, the greater token first.
	slices.SortFunc(prefs, func(a, b pref) int {
		return cmp.Or(cmp.Compare(b.q, a.q), strings.Compare(b.tok, a.tok))
	})
	prio := func(tok string) []float64 {
		var out []float64
		for _, p := range prefs {
			if p.tok == tok {
				out = append(out, p.q)
			}
		}
		return out
	}
	excluded := func(ps []float64) bool { return len(ps) == 1 && ps[0] == 0 }
	star := prio("*")
	defaultOK := !excluded(prio(def))
	if len(prio(def)) == 0 {
		defaultOK = !excluded(star)
	}
	anyOK := len(star) > 0 && !excluded(star)
	choices = slices.Clone(choices)
	for _, p := range prefs {
		if len(choices) == 0 {
			return "", false
		}
		if p.q == 0 {
			if i := slices.Index(choices, p.tok); i >= 0 {
				choices = slices.Delete(choices, i, i+1)
			}
			continue
		}
		for _, c := range choices {
			if strings.EqualFold(c, p.tok) {
				return c, true
			}
		}
	}
	switch {
	case len(choices) == 0:
		return "", false
	case anyOK:
		return choices[0], true
	case defaultOK && slices.Contains(choices, def):
		return def, true
	}
	return "", false
}

// parseQ reads a q value as webmachine does: "1", "0", ".5", or a float
// with a point; anything else, which Erlang's list_to_float refuses,
// counts here as 0 (webmachine crashes on it).
func parseQ(v string) float64 {
	switch {
	case v == "1":
		return 1
	case strings.HasPrefix(v, "."):
		v = "0" + v
	case !strings.Contains(v, "."):
		return 0
	}
	q, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0
	}
	return q
}

// chooseMediaType is webmachine_util:choose_media_type/2: provided are the
// resource's content types (without parameters, as Riak's are). The
// Accept entries are ordered by q with lists:keysort and then reversed, so
// entries of equal q are tried last one first.
func chooseMediaType(provided []string, accept string) (string, bool) {
	type req struct {
		q      float64
		typ    string
		params map[string]string
	}
	var reqs []req
	for _, item := range strings.Split(accept, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		typ, params, err := mime.ParseMediaType(item)
		if err != nil {
			// accept_header_to_media_types catches any parse failure and
			// answers with no types at all.
			return "", false
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q = parseQ(v); q == 0 && v != "0" && v != "0.0" {
				return "", false
			}
			delete(params, "q")
		}
		reqs = append(reqs, req{q, typ, params})
	}
	slices.SortStableFunc(reqs, func(a, b req) int { return cmp.Compare(a.q, b.q) })
	slices.Reverse(reqs)
	for _, r := range reqs {
		if r.typ == "*/*" && len(r.params) == 0 {
			if len(provided) > 0 {
				return provided[0], true
			}
			continue
		}
		if len(r.params) > 0 {
			continue // Riak's types carry no parameters to match
		}
		for _, p := range provided {
			if mediaTypeMatch(r.typ, p) {
				return p, true
			}
		}
	}
	return "", false
}

// mediaTypeMatch is webmachine_util:media_type_match/2.
func mediaTypeMatch(req, prov string) bool {
	if req == "*" || req == "*/*" || req == prov {
		return true
	}
	major, minor, _ := strings.Cut(req, "/")
	pmajor, _, _ := strings.Cut(prov, "/")
	return minor == "*" && major == pmajor
}
