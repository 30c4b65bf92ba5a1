package curl

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxUpload bounds what a read function may supply: the upload is
// gathered before the request is sent, because net/http sends the body
// from its own goroutine and a Lua function may only run on the caller's.
const maxUpload = 64 << 20

// Perform runs one transfer as curl_easy_perform does: it follows
// redirects when asked, hands every response's header lines and the
// final body to the callbacks, and returns nil or the CURLcode that
// stopped it. ctx bounds it (the hook's deadline); TIMEOUT bounds it
// further.
func (e *Easy) Perform(ctx context.Context, cb Callbacks) *Error {
	start := time.Now()
	e.info = Info{ContentLengthDownload: -1, ContentLengthUpload: -1, Filetime: -1}
	defer func() { e.info.TotalTime = time.Since(start) }()

	u, cerr := e.target()
	if cerr != nil {
		return cerr
	}
	if e.client == nil {
		c, cerr := e.buildClient()
		if cerr != nil {
			return cerr
		}
		e.client = c
	}
	if e.CookieEngine && e.client.http.Jar == nil {
		jar, _ := cookiejar.New(nil)
		e.client.http.Jar = jar
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if e.Timeout > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, e.Timeout)
		defer stop()
	}

	method, body, cerr := e.requestBody(cb)
	if cerr != nil {
		return cerr
	}
	e.info.ContentLengthUpload = float64(len(body))
	auth := e.UserPwd
	referer := e.Referer
	limit := e.MaxRedirs
	if limit < 0 || limit > maxRedirects {
		limit = maxRedirects
	}
	for {
		resp, cerr := e.roundTrip(ctx, method, u, body, auth, referer, start)
		if cerr != nil {
			return cerr
		}
		if cerr := e.reportHeaders(resp, cb); cerr != nil {
			resp.Body.Close()
			return cerr
		}
		next := e.redirect(resp, u)
		if next == nil {
			return e.receive(ctx, cancel, resp, method, cb)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if e.info.RedirectCount >= limit {
			return fail(ETooManyRedirects, "maximum (%d) redirects followed", limit)
		}
		e.info.RedirectCount++
		e.info.RedirectTime = time.Since(start)
		if resp.StatusCode == http.StatusSeeOther || (resp.StatusCode <= http.StatusFound && method == http.MethodPost) {
			if method != http.MethodHead {
				method = http.MethodGet
			}
			body = nil
		}
		if !e.UnrestrictAuth && next.Host != u.Host {
			auth = ""
		}
		if e.AutoReferer {
			referer = u.String()
		}
		u = next
	}
}

// target is the URL to fetch: a missing scheme means http, as libcurl
// guesses; PORT replaces the URL's port.
func (e *Easy) target() (*url.URL, *Error) {
	raw := strings.TrimSpace(e.URL)
	if raw == "" {
		return nil, fail(EURLMalformat, "no URL set")
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fail(EURLMalformat, "%v", err)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return nil, fail(EUnsupportedProtocol, "protocol %q not supported: msyshost's curl speaks HTTP and HTTPS", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fail(EURLMalformat, "no host in %q", e.URL)
	}
	if e.Port != 0 {
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(e.Port))
	}
	return u, nil
}

// requestBody decides the method and gathers the body.
func (e *Easy) requestBody(cb Callbacks) (string, []byte, *Error) {
	method := http.MethodGet
	var body []byte
	switch e.req {
	case reqHead:
		method = http.MethodHead
	case reqPost:
		method = http.MethodPost
		if e.PostFields != nil {
			body = []byte(*e.PostFields)
			if e.PostFieldSize >= 0 && e.PostFieldSize < int64(len(body)) {
				body = body[:e.PostFieldSize]
			}
		} else {
			var cerr *Error
			if body, cerr = e.upload(cb); cerr != nil {
				return "", nil, cerr
			}
		}
	case reqPut:
		method = http.MethodPut
		var cerr *Error
		if body, cerr = e.upload(cb); cerr != nil {
			return "", nil, cerr
		}
	}
	if e.CustomRequest != "" {
		method = e.CustomRequest
	}
	return method, body, nil
}

// upload gathers the read function's data, up to INFILESIZE when set.
func (e *Easy) upload(cb Callbacks) ([]byte, *Error) {
	if cb.Read == nil {
		return nil, fail(EReadError, "an upload or a POST without POSTFIELDS needs a READFUNCTION")
	}
	var buf bytes.Buffer
	for e.InfileSize < 0 || int64(buf.Len()) < e.InfileSize {
		want := 16384
		if e.InfileSize >= 0 {
			want = int(min(int64(want), e.InfileSize-int64(buf.Len())))
		}
		p, abort := cb.Read(want)
		if abort {
			return nil, fail(EAbortedByCallback, "the read function aborted the upload")
		}
		if len(p) == 0 {
			break
		}
		if len(p) > want {
			return nil, fail(EReadError, "the read function returned %d bytes, more than the %d asked", len(p), want)
		}
		if buf.Len()+len(p) > maxUpload {
			return nil, fail(EReadError, "upload larger than %d bytes", maxUpload)
		}
		buf.Write(p)
	}
	if e.InfileSize >= 0 && int64(buf.Len()) < e.InfileSize {
		return nil, fail(EPartialFile, "the read function ended after %d of %d bytes", buf.Len(), e.InfileSize)
	}
	return buf.Bytes(), nil
}

func (e *Easy) roundTrip(ctx context.Context, method string, u *url.URL, body []byte, auth, referer string, start time.Time) (*http.Response, *Error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fail(EURLMalformat, "%v", err)
	}
	h := req.Header
	h.Set("Accept", "*/*")
	h["User-Agent"] = []string{e.UserAgent} // empty: net/http sends none, as libcurl
	if referer != "" {
		h.Set("Referer", referer)
	}
	if e.Cookie != "" {
		h.Set("Cookie", e.Cookie)
	}
	switch {
	case e.Range != "":
		h.Set("Range", "bytes="+e.Range)
	case e.ResumeFrom > 0:
		h.Set("Range", fmt.Sprintf("bytes=%d-", e.ResumeFrom))
	}
	if e.TimeCondition != TimeCondNone && e.TimeValue > 0 {
		when := time.Unix(e.TimeValue, 0).UTC().Format(http.TimeFormat)
		if e.TimeCondition == TimeCondIfUnmodSince {
			h.Set("If-Unmodified-Since", when)
		} else {
			h.Set("If-Modified-Since", when)
		}
	}
	if e.Encoding != nil {
		enc := *e.Encoding
		if enc == "" {
			enc = "deflate, gzip"
		}
		h.Set("Accept-Encoding", enc)
	}
	if method == http.MethodPost {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth != "" && e.HTTPAuth != AuthNone {
		user, pass, _ := strings.Cut(auth, ":")
		req.SetBasicAuth(user, pass)
	}
	for _, line := range e.Headers {
		e.applyHeader(req, line)
	}
	req.ContentLength = int64(len(body))
	trace := &httptrace.ClientTrace{
		DNSDone:              func(httptrace.DNSDoneInfo) { e.info.NameLookupTime = time.Since(start) },
		ConnectDone:          func(string, string, error) { e.info.ConnectTime = time.Since(start); e.info.NumConnects++ },
		WroteRequest:         func(httptrace.WroteRequestInfo) { e.info.PretransferTime = time.Since(start) },
		GotFirstResponseByte: func() { e.info.StartTransferTime = time.Since(start) },
	}
	req = req.WithContext(httptrace.WithClientTrace(ctx, trace))
	resp, err := e.client.http.Do(req)
	if err != nil {
		return nil, classify(ctx, err)
	}
	e.info.SizeUpload += int64(len(body))
	return resp, nil
}

// applyHeader is one HTTPHEADER line: "Name: value" sets, "Name:" removes
// a header libcurl would send, "Name;" sends it empty.
func (e *Easy) applyHeader(req *http.Request, line string) {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		if n, found := strings.CutSuffix(strings.TrimSpace(line), ";"); found && n != "" {
			req.Header[http.CanonicalHeaderKey(n)] = []string{""}
		}
		return
	}
	name = strings.TrimSpace(name)
	value = strings.TrimSpace(value)
	key := http.CanonicalHeaderKey(name)
	switch {
	case key == "Host":
		if value != "" {
			req.Host = value
		}
	case value == "":
		if key == "User-Agent" {
			req.Header[key] = []string{""}
		} else {
			req.Header.Del(key)
		}
	default:
		if setByPerform(key) {
			req.Header.Del(key)
		}
		req.Header.Add(key, value)
	}
}

// setByPerform reports whether key is one of the headers Perform sets
// itself, which a script's header replaces rather than repeats.
func setByPerform(key string) bool {
	switch key {
	case "Accept", "User-Agent", "Referer", "Cookie", "Range", "Content-Type", "Authorization",
		"If-Modified-Since", "If-Unmodified-Since", "Accept-Encoding":
		return true
	}
	return false
}

// reportHeaders passes the status line and header lines of resp to the
// header function (and, with HEADER, into the body stream). net/http
// keeps neither the order nor the spelling of header names: they come
// canonicalised and sorted, each value in the order received.
func (e *Easy) reportHeaders(resp *http.Response, cb Callbacks) *Error {
	lines := []string{fmt.Sprintf("HTTP/%d.%d %d %s\r\n", resp.ProtoMajor, resp.ProtoMinor, resp.StatusCode, statusText(resp))}
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			lines = append(lines, k+": "+v+"\r\n")
		}
	}
	lines = append(lines, "\r\n")
	for _, l := range lines {
		e.info.HeaderSize += int64(len(l))
		if cb.Header != nil && cb.Header([]byte(l)) != len(l) {
			return fail(EWriteError, "the header function did not take the whole header line")
		}
		if e.IncludeHeader {
			if cerr := e.write(cb, []byte(l)); cerr != nil {
				return cerr
			}
		}
	}
	return nil
}

// redirect returns where resp sends the client, when FOLLOWLOCATION is on.
func (e *Easy) redirect(resp *http.Response, from *url.URL) *url.URL {
	if !e.FollowLocation {
		return nil
	}
	switch resp.StatusCode {
	case 301, 302, 303, 307, 308:
	default:
		return nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil
	}
	next, err := from.Parse(loc)
	if err != nil {
		return nil
	}
	return next
}
