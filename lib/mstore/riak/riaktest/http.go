package riaktest

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// serveHTTP implements, per Riak's HTTP API: GET/HEAD (Fetch Object: 200,
// 300 Multiple Choices with siblings as multipart/mixed when the client
// accepts it, 404, with X-Riak-Vclock for a tombstone), PUT/POST (Store
// Object: 204, 413 past MaxObjectSize) and DELETE (Delete Object: 204, 404) on /buckets/<bucket>/keys/<key>, and GET /ping.
// Paths are split before they are unescaped, so "%2F" in a key is data.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.admit() {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path == "/ping" {
		io.WriteString(w, "OK")
		return
	}
	parts := strings.Split(r.URL.EscapedPath(), "/")
	if len(parts) != 5 || parts[0] != "" || parts[1] != "buckets" || parts[3] != "keys" {
		http.Error(w, "no such resource", http.StatusNotFound)
		return
	}
	bucket, err1 := url.PathUnescape(parts[2])
	key, err2 := url.PathUnescape(parts[4])
	if err1 != nil || err2 != nil || bucket == "" || key == "" {
		http.Error(w, "bad bucket or key", http.StatusBadRequest)
		return
	}
	loc := location{bucket, key}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.httpFetch(w, r, loc)
	case http.MethodPut, http.MethodPost:
		s.httpStore(w, r, loc)
	case http.MethodDelete:
		vclock, ok := requestVclock(w, r)
		if !ok {
			return
		}
		if !s.del(loc, vclock) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, POST, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Server) httpFetch(w http.ResponseWriter, r *http.Request, loc location) {
	vclock, sibs, found := s.get(loc)
	if vclock != nil {
		w.Header().Set("X-Riak-Vclock", base64.StdEncoding.EncodeToString(vclock))
	}
	if !found {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if len(sibs) == 1 {
		writeSiblingHeaders(w.Header(), sibs[0])
		w.WriteHeader(http.StatusOK)
		w.Write(sibs[0].value)
		return
	}
	if !strings.Contains(r.Header.Get("Accept"), "multipart/mixed") {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusMultipleChoices)
		io.WriteString(w, "Siblings:\n")
		for _, sb := range sibs {
			io.WriteString(w, sb.vtag+"\n")
		}
		return
	}
	mw := multipart.NewWriter(w)
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	w.WriteHeader(http.StatusMultipleChoices)
	for _, sb := range sibs {
		h := textproto.MIMEHeader{}
		writeSiblingHeaders(http.Header(h), sb)
		if sb.deleted {
			h.Set("X-Riak-Deleted", "true")
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			return
		}
		pw.Write(sb.value)
	}
	mw.Close()
}

func writeSiblingHeaders(h http.Header, sb *sibling) {
	h.Set("Content-Type", sb.contentType)
	h.Set("Etag", `"`+sb.vtag+`"`)
	h.Set("Last-Modified", sb.lastMod.UTC().Format(http.TimeFormat))
	for k, v := range sb.meta {
		h.Set("X-Riak-Meta-"+k, v)
	}
}

func (s *Server) httpStore(w http.ResponseWriter, r *http.Request, loc location) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		http.Error(w, "Content-Type required", http.StatusBadRequest)
		return
	}
	vclock, ok := requestVclock(w, r)
	if !ok {
		return
	}
	meta := map[string]string{}
	for name, vals := range r.Header {
		if m, ok := strings.CutPrefix(name, "X-Riak-Meta-"); ok && len(vals) > 0 {
			meta[strings.ToLower(m)] = vals[0]
		}
	}
	value, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "reading body", http.StatusBadRequest)
		return
	}
	if err := s.put(loc, vclock, value, ct, meta); err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// requestVclock decodes the request's X-Riak-Vclock, answering 400 when it
// is not base64; no header gives nil.
func requestVclock(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	v := r.Header.Get("X-Riak-Vclock")
	if v == "" {
		return nil, true
	}
	vclock, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		http.Error(w, fmt.Sprintf("bad X-Riak-Vclock %q", v), http.StatusBadRequest)
		return nil, false
	}
	return vclock, true
}
