package riak

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"msyshost/lib/mstore"
)

// httpEndpoint speaks Riak's HTTP API (docs.riak.com, "HTTP API": Fetch,
// Store and Delete Object) to one server.
type httpEndpoint struct {
	addr   string
	base   string
	lim    limits
	client *http.Client
}

// Riak echoes user metadata under the name it was stored with: a record
// written over HTTP carries X-Riak-Meta-Mstore-Expires, one written over
// PB (by riak-go-client, as "mstore-expires") a bare Mstore-Expires
// header. Both are read.
var (
	headerExpires     = http.CanonicalHeaderKey("X-Riak-Meta-" + metaExpires)
	headerExpiresBare = http.CanonicalHeaderKey(metaExpires)
)

// acceptEncoding is what every request accepts. Riak (through webmachine)
// negotiates the encoding against the stored object: one written without
// an encoding offers "identity" and "gzip", and webmachine gzips the whole
// body for a client that asks for gzip, as Go's transport does by default;
// one written over PB by riak-go-client carries an empty encoding, and
// webmachine then only matches "*": "gzip" and even a bare "identity" get
// 406 Not Acceptable. This is webmachine's own default for a request
// without the header, sent explicitly.
const acceptEncoding = "identity;q=1.0, *;q=0.5"

// accept takes a sibling list as multipart/mixed and any single value,
// whatever content type it was stored with.
const accept = "multipart/mixed, " + contentType + ";q=0.9, */*;q=0.5"

// maxErrorBody bounds how much of an unexpected answer is read.
const maxErrorBody = 4 << 10

func newHTTPEndpoint(addr string, lim limits) (*httpEndpoint, error) {
	addr = strings.TrimPrefix(addr, "http://")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: lim.connect}
	return &httpEndpoint{
		addr: addr,
		base: "http://" + addr,
		lim:  lim,
		client: &http.Client{
			Transport: &http.Transport{
				DialContext:         dialer.DialContext,
				MaxIdleConnsPerHost: 64,
				IdleConnTimeout:     90 * time.Second,
				// Every request says which encodings it takes
				// (acceptEncoding); the transport's own gzip would get
				// 406 or a gzipped value.
				DisableCompression: true,
			},
		},
	}, nil
}

func (e *httpEndpoint) String() string { return e.addr }

func (e *httpEndpoint) close() error {
	e.client.CloseIdleConnections()
	return nil
}

// url is the object's URL. Bucket and key are escaped byte by byte, leaving
// only unreserved characters other than '.', so '/', ':', '%', '?', '#',
// spaces, non-UTF-8 bytes and dot segments all reach Riak intact.
func (e *httpEndpoint) url(k mstore.Key) string {
	return e.base + "/buckets/" + escape(k.Bucket) + "/keys/" + escape(k.ID)
}

func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// answer is a server's answer, its body read whole (or, for a status the
// operation did not expect, its first maxErrorBody bytes).
type answer struct {
	method string
	status int
	header http.Header
	body   []byte
}

// exchange sends one request and reads its answer within the limits: the
// answer must start within lim.answer of the request going out (plus the
// transfer of its body), and the answer's body gets the transfer of its
// Content-Length on top of lim.answer. A write that went out whole and got
// no answer is unanswered; other failures mean the server is unavailable.
func (e *httpEndpoint) exchange(ctx context.Context, method string, k mstore.Key, vclock []byte, v *value) (*answer, error) {
	var body []byte
	if v != nil {
		body = v.data
	}
	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	dl := &deadline{cancel: cancel}
	defer dl.stop()
	var rd io.Reader
	if v != nil {
		rd = bytes.NewReader(body)
	}
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { dl.set("an answer", e.lim.answer+e.lim.transfer(int64(len(body)))) },
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				sent.Store(true)
			}
		},
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(tctx, trace), method, e.url(k), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Encoding", acceptEncoding)
	if v != nil {
		req.Header.Set("Content-Type", contentType)
		req.Header.Set(headerExpires, strconv.FormatInt(v.expires, 10))
	}
	if vclock != nil {
		req.Header.Set("X-Riak-Vclock", string(vclock))
	}
	// Connecting has its own limit (the dialer's); this one covers a
	// connection that never comes for another reason.
	dl.set("a connection", e.lim.connect+e.lim.answer)
	resp, err := e.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, e.failed(ctx, tctx, method, sent.Load(), err)
	}
	defer resp.Body.Close()
	a := &answer{method: method, status: resp.StatusCode, header: resp.Header}
	var src io.Reader = resp.Body
	size := resp.ContentLength
	switch a.status {
	case http.StatusOK:
		src = &capped{r: resp.Body, left: riakMaxObject + 64<<10}
	case http.StatusMultipleChoices:
		// Siblings: several values of up to max_object_size each.
		src = &capped{r: resp.Body, left: maxSiblingsBody}
	default:
		src = io.LimitReader(resp.Body, maxErrorBody)
		size = min(size, maxErrorBody)
	}
	if size < 0 {
		size = riakMaxObject
	}
	dl.set("the answer's body", e.lim.answer+e.lim.transfer(size))
	if a.body, err = io.ReadAll(src); err != nil {
		// The status line arrived: the request was answered, even a
		// write, but the body is lost.
		if c := context.Cause(tctx); ctx.Err() == nil && c != nil && !errors.Is(c, context.Canceled) {
			err = c
		}
		return nil, unavailable(fmt.Errorf("%s answered %s, then reading the answer failed: %w", method, resp.Status, err))
	}
	return a, nil
}

// failed classifies a request that got no answer.
func (e *httpEndpoint) failed(ctx, tctx context.Context, method string, sent bool, err error) error {
	write := method == http.MethodPut || method == http.MethodDelete
	if ctx.Err() != nil {
		if write && sent {
			return unanswered(fmt.Errorf("%s sent, then the caller gave up: %w", method, ctx.Err()))
		}
		return ctx.Err()
	}
	if c := context.Cause(tctx); c != nil && !errors.Is(c, context.Canceled) {
		err = c
	}
	if write && sent {
		return unanswered(fmt.Errorf("%s sent, no answer: %w", method, err))
	}
	return unavailable(fmt.Errorf("%s: %w", method, err))
}

// deadline cancels a request's context with a timeoutError when its
// current limit passes; set starts a new limit.
type deadline struct {
	mu     sync.Mutex
	t      *time.Timer
	cancel context.CancelCauseFunc
}

func (d *deadline) set(waiting string, limit time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.t != nil {
		d.t.Stop()
	}
	d.t = time.AfterFunc(limit, func() { d.cancel(timeoutError{waiting, limit}) })
}

func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.t != nil {
		d.t.Stop()
	}
}

// timeoutError is a limit of exchange that passed.
type timeoutError struct {
	waiting string
	limit   time.Duration
}

func (e timeoutError) Error() string {
	return fmt.Sprintf("timed out after %v waiting for %s", e.limit.Round(time.Millisecond), e.waiting)
}

func (e timeoutError) Timeout() bool { return true }

// mediaType is the answer's Content-Type without parameters.
func (a *answer) mediaType() string {
	mt, _, err := mime.ParseMediaType(a.header.Get("Content-Type"))
	if err != nil {
		return a.header.Get("Content-Type")
	}
	return mt
}

// riakNotFound reports whether a 404 is Riak's own not-found for the key
// (riak_kv_wm_object:handle_common_error/3: text/plain, "not found\n";
// a HEAD answer carries the type but no body). Any other 404, such as
// webmachine's HTML page of a node whose KV routes are not up yet, is not.
func (a *answer) riakNotFound() bool {
	if a.status != http.StatusNotFound || a.mediaType() != "text/plain" {
		return false
	}
	return a.method == http.MethodHead || bytes.HasPrefix(a.body, []byte("not found"))
}

// text is the answer's body as an error can quote it: trimmed, HTML tags
// dropped, cut short.
func (a *answer) text() string {
	b := a.body
	if a.mediaType() == "text/html" {
		var out []byte
		in := false
		for _, c := range b {
			switch {
			case c == '<':
				in = true
				out = append(out, ' ')
			case c == '>':
				in = false
			case !in:
				out = append(out, c)
			}
		}
		b = out
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// statusError reports an answer the operation did not expect, with what
// the server said. Server trouble (5xx, a 404 that is not Riak's) makes
// the pool try another server; Riak's refusal of an object past
// max_object_size (a 500 with "{too_large,N}", from the catch-all clause
// of handle_common_error) and any other 4xx, an unexpected 406 included,
// are about the request and would be the same on every server. Riak's
// "request timed out" (503) to a write leaves the write's outcome unknown.
func statusError(a *answer) error {
	msg := fmt.Sprintf("%s answered %d %s", a.method, a.status, http.StatusText(a.status))
	switch t := a.text(); {
	case t != "":
		msg += ": " + t
	case a.method == http.MethodHead:
		msg += fmt.Sprintf(" (%s; an answer to HEAD has no body)", cmp.Or(a.header.Get("Content-Type"), "no content type"))
	default:
		msg += " with no body"
	}
	write := a.method == http.MethodPut || a.method == http.MethodDelete
	switch {
	case a.status == http.StatusInternalServerError && bytes.Contains(a.body, []byte("{too_large,")):
		return fmt.Errorf("%s (the object is larger than the cluster's max_object_size)", msg)
	case a.status == http.StatusServiceUnavailable && write && bytes.Contains(a.body, []byte("request timed out")):
		return unanswered(errors.New(msg))
	case a.status == http.StatusNotAcceptable:
		return fmt.Errorf("%s (the node could not serve the stored object as the request's Accept and Accept-Encoding allow)", msg)
	case a.status == http.StatusNotFound && !a.riakNotFound():
		return unavailable(fmt.Errorf("%s (not Riak's own not-found: the node's KV API is not up, as while it starts)", msg))
	case a.status >= 500:
		return unavailable(errors.New(msg))
	}
	return errors.New(msg)
}

// expiresHeader reads the expiry metadata under either name Riak may echo
// it with.
func expiresHeader(h http.Header) int64 {
	if v := h.Get(headerExpires); v != "" {
		return parseExpires(v)
	}
	return parseExpires(h.Get(headerExpiresBare))
}

func (e *httpEndpoint) fetch(ctx context.Context, k mstore.Key, head bool) (*object, error) {
	method := http.MethodGet
	if head {
		method = http.MethodHead
	}
	a, err := e.exchange(ctx, method, k, nil, nil)
	if err != nil {
		return nil, err
	}
	obj := &object{vclock: []byte(a.header.Get("X-Riak-Vclock"))}
	switch {
	case a.riakNotFound():
		if len(obj.vclock) > 0 {
			// A deleted key whose tombstone is not yet reaped: no value,
			// but a write must carry this vclock to supersede it.
			return obj, nil
		}
		return nil, nil
	case a.status == http.StatusOK:
		v := value{expires: expiresHeader(a.header)}
		if !head {
			v.data = a.body
		}
		obj.values = []value{v}
		return obj, nil
	case a.status == http.StatusMultipleChoices:
		if head {
			// A HEAD answer has no sibling list; fetch it to learn which
			// siblings are live.
			return e.fetch(ctx, k, false)
		}
		if obj.values, err = readSiblings(a.header.Get("Content-Type"), a.body); err != nil {
			return nil, unavailable(fmt.Errorf("reading the siblings: %w", err))
		}
		return obj, nil
	}
	return nil, statusError(a)
}

// readSiblings parses the body of a 300 answer to an Accept:
// multipart/mixed fetch: one part per sibling, each with its own headers.
func readSiblings(ct string, body []byte) ([]value, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		return nil, fmt.Errorf("sibling list of type %q, want multipart/mixed", ct)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var vals []value
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, err
		}
		h := http.Header(part.Header)
		deleted, _ := strconv.ParseBool(h.Get("X-Riak-Deleted"))
		vals = append(vals, value{data: data, expires: expiresHeader(h), deleted: deleted})
	}
	if len(vals) == 0 {
		return nil, errors.New("no siblings in the sibling list")
	}
	return vals, nil
}

func (e *httpEndpoint) store(ctx context.Context, k mstore.Key, vclock []byte, v value) error {
	a, err := e.exchange(ctx, http.MethodPut, k, vclock, &v)
	if err != nil {
		return err
	}
	switch a.status {
	case http.StatusOK, http.StatusNoContent, http.StatusCreated:
		return nil
	}
	return statusError(a)
}

func (e *httpEndpoint) remove(ctx context.Context, k mstore.Key, vclock []byte) error {
	a, err := e.exchange(ctx, http.MethodDelete, k, vclock, nil)
	if err != nil {
		return err
	}
	switch {
	case a.status == http.StatusNoContent || a.status == http.StatusOK:
		return nil
	case a.riakNotFound():
		return mstore.ErrNotFound
	}
	return statusError(a)
}

// maxSiblingsBody bounds a 300 Multiple Choices answer: a few siblings of
// the largest object Riak stores by default.
const maxSiblingsBody = 4 * riakMaxObject

// capped reads at most left bytes and fails past them, so a server
// answering without end cannot fill the memory.
type capped struct {
	r    io.Reader
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("answer larger than %d bytes, more than Riak's max_object_size allows", riakMaxObject)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, fmt.Errorf("answer larger than Riak's max_object_size allows")
	}
	return n, err
}
