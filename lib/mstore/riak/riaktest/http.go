package riaktest

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// serveHTTP implements, as Riak KV 3.2.0's riak_kv_wm_object does under
// webmachine: GET/HEAD (Fetch Object: 200, or 300 Multiple Choices with
// the siblings as multipart/mixed or as a text/plain vtag list), PUT/POST
// (Store Object: 204) and DELETE (Delete Object: 204) on
// /buckets/<bucket>/keys/<key>, and GET /ping. Paths are split before they
// are unescaped, so "%2F" in a key is data.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.admit()
	if n.phase != Running {
		// Models a starting node: the listener is up before riak_kv added
		// its routes, so webmachine finds no dispatch match for any path
		// and answers its own HTML 404.
		notDispatched(w)
		return
	}
	if n.fail {
		riakError(w, http.StatusInternalServerError, "Error:\noverload\n")
		return
	}
	if r.URL.Path == "/ping" {
		io.WriteString(w, "OK")
		return
	}
	parts := strings.Split(r.URL.EscapedPath(), "/")
	if len(parts) != 5 || parts[0] != "" || parts[1] != "buckets" || parts[3] != "keys" {
		notDispatched(w)
		return
	}
	bucket, err1 := url.PathUnescape(parts[2])
	key, err2 := url.PathUnescape(parts[4])
	if err1 != nil || err2 != nil || bucket == "" || key == "" {
		http.Error(w, "bad bucket or key", http.StatusBadRequest)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete:
		s.httpObject(w, r, location{bucket, key}, n)
	default:
		w.Header().Set("Allow", "HEAD, GET, POST, PUT, DELETE")
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// notDispatched is webmachine's answer to a path no route matches:
// webmachine_error_handler's 404 page, as text/html.
func notDispatched(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD><BODY><H1>Not Found</H1>The requested document was not found on this server.<P><HR><ADDRESS>mochiweb+webmachine web server</ADDRESS></BODY></HTML>")
}

// riakError writes one of riak_kv_wm_object:handle_common_error/3's
// answers: a status with a text/plain body.
func riakError(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

// httpObject follows webmachine's decisions for a key-level request in the
// order Riak KV 3.2.0 meets them: a PUT without Content-Type is malformed
// (b9); a GET, HEAD or DELETE of a missing key is refused early by
// validate_doc in forbidden (b7), with Riak's own not-found; then the
// content negotiation (c3 to f7) runs against the stored object, which
// this release fetches for every method (ensure_doc in
// encodings_provided), PUT and DELETE included.
func (s *Server) httpObject(w http.ResponseWriter, r *http.Request, loc location, n node) {
	write := r.Method == http.MethodPut || r.Method == http.MethodPost
	var ct, charset string
	var hasCharset bool
	if write {
		raw := r.Header.Get("Content-Type")
		if raw == "" {
			riakError(w, http.StatusBadRequest, "Missing Content-Type request header\n")
			return
		}
		mt, params, err := mime.ParseMediaType(raw)
		if err != nil {
			mt = strings.TrimSpace(strings.Split(raw, ";")[0])
		}
		ct = mt
		charset, hasCharset = params["charset"]
	}
	vclock, sibs, found := s.c.get(loc)
	if !write && !found {
		if vclock != nil {
			// A tombstone: {error, {deleted, VClock}} carries the vclock
			// and X-Riak-Deleted.
			w.Header().Set("X-Riak-Vclock", base64.StdEncoding.EncodeToString(vclock))
			w.Header().Set("X-Riak-Deleted", "true")
		}
		// Riak's own not-found, from handle_common_error(notfound).
		riakError(w, http.StatusNotFound, "not found\n")
		return
	}

	// c3/c4: content types provided.
	var types []string
	switch {
	case write:
		types = []string{ct}
	case len(sibs) == 1:
		types = []string{sibs[0].contentType}
	default:
		types = []string{"text/plain", "multipart/mixed"}
	}
	chosenType := types[0]
	if accept := r.Header.Get("Accept"); accept != "" {
		var ok bool
		if chosenType, ok = chooseMediaType(types, accept); !ok {
			notAcceptable(w)
			return
		}
	}
	// e5/e6: charsets provided; without Accept-Charset, "*" is
	// negotiated. A PUT provides its own charset; a single stored sibling
	// its stored one, even empty; siblings none.
	var charsets []string
	switch {
	case write && hasCharset:
		charsets = []string{charset}
	case !write && len(sibs) == 1 && sibs[0].charset.set:
		charsets = []string{sibs[0].charset.v}
	}
	chosenCharset, hasChosenCharset := "", false
	if charsets != nil {
		acceptCharset := r.Header.Get("Accept-Charset")
		if acceptCharset == "" {
			acceptCharset = "*"
		}
		if chosenCharset, hasChosenCharset = chooseToken(charsets, acceptCharset, "ISO-8859-1"); !hasChosenCharset {
			notAcceptable(w)
			return
		}
	}
	// f6/f7: encodings provided by the stored object (fetched for every
	// method): its own encoding when it was stored with one, even an
	// empty one (as every object riak-go-client writes is), else identity
	// and gzip.
	encodings := defaultEncodings
	if found && len(sibs) == 1 && sibs[0].encoding.set {
		encodings = []string{sibs[0].encoding.v}
	}
	acceptEncoding := r.Header.Get("Accept-Encoding")
	if _, ok := r.Header["Accept-Encoding"]; !ok {
		acceptEncoding = defaultAcceptEncoding
	}
	encoding, ok := chooseToken(encodings, acceptEncoding, "identity")
	if !ok {
		notAcceptable(w)
		return
	}
	h := w.Header()
	if hasChosenCharset {
		h.Set("Content-Type", chosenType+"; charset="+chosenCharset)
	} else {
		h.Set("Content-Type", chosenType)
	}
	if encoding != "identity" {
		// choose_encoding sets the header for whatever it chose, "" too.
		h["Content-Encoding"] = []string{encoding}
	}

	if write || r.Method == http.MethodDelete {
		s.writes.Add(1)
	}
	switch r.Method {
	case http.MethodPut, http.MethodPost:
		s.httpStore(w, r, loc, n, &sibling{contentType: ct, charset: optional{charset, hasCharset}})
	case http.MethodDelete:
		reqVclock, ok := requestVclock(w, r)
		if !ok {
			return
		}
		s.c.del(loc, reqVclock)
		time.Sleep(n.writeDelay)
		w.WriteHeader(http.StatusNoContent)
	default:
		s.httpFetch(w, r, vclock, sibs, chosenType, encoding, n)
	}
}

// notAcceptable is webmachine's 406, rendered by its error handler.
func notAcceptable(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusNotAcceptable)
	io.WriteString(w, "<html><head><title>406 Not Acceptable</title></head><body><h1>Not Acceptable</h1><p><hr><address>mochiweb+webmachine web server</address></body></html>")
}

func (s *Server) httpFetch(w http.ResponseWriter, r *http.Request, vclock []byte, sibs []*sibling, ct, encoding string, n node) {
	h := w.Header()
	h.Set("X-Riak-Vclock", base64.StdEncoding.EncodeToString(vclock))
	var body []byte
	code := http.StatusOK
	switch {
	case len(sibs) == 1:
		sb := sibs[0]
		h.Set("Etag", `"`+sb.vtag+`"`)
		h.Set("Last-Modified", sb.lastMod.UTC().Format(http.TimeFormat))
		for _, p := range sb.meta {
			// User metadata goes out under its stored name, as
			// produce_doc_body merges it into the headers: one written
			// over PB as "mstore-expires" arrives as a bare header.
			h[p.key] = []string{p.value}
		}
		body = sb.value
	case ct == "multipart/mixed":
		code = http.StatusMultipleChoices
		body = multipartBody(h, sibs)
	default:
		code = http.StatusMultipleChoices
		var b bytes.Buffer
		b.WriteString("Siblings:\n")
		for _, sb := range sibs {
			b.WriteString(sb.vtag + "\n")
		}
		body = b.Bytes()
	}
	if encoding == "gzip" {
		// encode_body runs the chosen encoding's producer, zlib:gzip/1,
		// over the whole body.
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(body)
		zw.Close()
		body = b.Bytes()
		s.gzipped.Add(1)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		writePaced(w, body, n.rate)
	}
}

// multipartBody is produce_multipart_body: each sibling a part, headed as
// riak_kv_wm_utils:multipart_encode_body/4 heads it (content type with the
// stored charset, the stored encoding, Etag, Last-Modified, X-Riak-Deleted
// for a tombstone, user metadata under its stored names).
func multipartBody(h http.Header, sibs []*sibling) []byte {
	boundary := fmt.Sprintf("RiakTest%x", time.Now().UnixNano())
	h.Set("Content-Type", "multipart/mixed; boundary="+boundary)
	var b bytes.Buffer
	for _, sb := range sibs {
		fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: %s", boundary, sb.contentType)
		if sb.charset.set {
			b.WriteString("; charset=" + sb.charset.v)
		}
		b.WriteString("\r\n")
		if sb.encoding.set {
			b.WriteString("Content-Encoding: " + sb.encoding.v + "\r\n")
		}
		fmt.Fprintf(&b, "Etag: %s\r\nLast-Modified: %s\r\n", sb.vtag, sb.lastMod.UTC().Format(http.TimeFormat))
		if sb.deleted {
			b.WriteString("X-Riak-Deleted: true\r\n")
		}
		for _, p := range sb.meta {
			b.WriteString(p.key + ": " + p.value + "\r\n")
		}
		b.WriteString("\r\n")
		b.Write(sb.value)
	}
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes()
}

// httpStore is accept_doc_body: user metadata is every header whose name
// starts with X-Riak-Meta-, in any case, kept whole (Go's server has
// already canonicalized the names, where mochiweb keeps them as sent).
func (s *Server) httpStore(w http.ResponseWriter, r *http.Request, loc location, n node, sb *sibling) {
	vclock, ok := requestVclock(w, r)
	if !ok {
		return
	}
	if enc, ok := r.Header["Content-Encoding"]; ok && len(enc) > 0 {
		sb.encoding = optional{enc[0], true}
	}
	for name, vals := range r.Header {
		if len(name) > len("X-Riak-Meta-") && strings.EqualFold(name[:len("X-Riak-Meta-")], "X-Riak-Meta-") && len(vals) > 0 {
			sb.meta = append(sb.meta, pair{name, vals[0]})
		}
	}
	value, err := io.ReadAll(pacedReader{r.Body, func() int { return n.rate }})
	if err != nil {
		return
	}
	sb.value = value
	if err := s.c.put(loc, vclock, sb); err != nil {
		// Past max_object_size the put FSM answers {error, {too_large,
		// Size}}, which handle_common_error has no clause for: a 500
		// with "Error:\n~p\n".
		riakError(w, http.StatusInternalServerError, "Error:\n"+err.Error()+"\n")
		return
	}
	time.Sleep(n.writeDelay)
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

// pacedChunk is how much a throttled transfer moves between pauses.
const pacedChunk = 32 << 10

// writePaced writes body at rate bytes per second (any speed for 0),
// flushing each chunk so the client sees the pace.
func writePaced(w http.ResponseWriter, body []byte, rate int) {
	if rate <= 0 {
		w.Write(body)
		return
	}
	rc := http.NewResponseController(w)
	for len(body) > 0 {
		n := min(len(body), pacedChunk)
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		rc.Flush()
		pace(n, rate)
		body = body[n:]
	}
}

// pacedReader reads at rate() bytes per second (any speed for 0).
type pacedReader struct {
	r    io.Reader
	rate func() int
}

func (p pacedReader) Read(b []byte) (int, error) {
	rate := p.rate()
	if rate > 0 && len(b) > pacedChunk {
		b = b[:pacedChunk]
	}
	n, err := p.r.Read(b)
	pace(n, rate)
	return n, err
}
