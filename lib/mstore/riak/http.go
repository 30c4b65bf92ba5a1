package riak

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"msyshost/lib/mstore"
)

// httpEndpoint speaks Riak's HTTP API (docs.riak.com, "HTTP API": Fetch,
// Store and Delete Object) to one server.
type httpEndpoint struct {
	addr   string
	base   string
	client *http.Client
}

// Riak echoes user metadata as X-Riak-Meta-<name> headers.
var headerExpires = textproto.CanonicalMIMEHeaderKey("X-Riak-Meta-" + metaExpires)

func newHTTPEndpoint(addr string, opts Options) (*httpEndpoint, error) {
	addr = strings.TrimPrefix(addr, "http://")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: opts.ConnectTimeout}
	return &httpEndpoint{
		addr: addr,
		base: "http://" + addr,
		client: &http.Client{
			Timeout: opts.Timeout,
			Transport: &http.Transport{
				DialContext:         dialer.DialContext,
				MaxIdleConnsPerHost: 64,
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

func (e *httpEndpoint) request(ctx context.Context, method string, k mstore.Key, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.url(k), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "multipart/mixed, "+contentType+";q=0.9, */*;q=0.5")
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
}

func (e *httpEndpoint) send(req *http.Request, vclock []byte) (*http.Response, error) {
	if vclock != nil {
		req.Header.Set("X-Riak-Vclock", string(vclock))
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, unavailable(err)
	}
	return resp, nil
}

// statusError reports a response the operation did not expect; 5xx means
// the server (or the cluster behind it) is in trouble, so try another.
func statusError(resp *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	err := fmt.Errorf("%s answered %s: %s", resp.Request.Method, resp.Status, bytes.TrimSpace(msg))
	if resp.StatusCode >= 500 {
		return unavailable(err)
	}
	return err
}

func (e *httpEndpoint) fetch(ctx context.Context, k mstore.Key, head bool) (*object, error) {
	method := http.MethodGet
	if head {
		method = http.MethodHead
	}
	req, err := e.request(ctx, method, k, nil)
	if err != nil {
		return nil, err
	}
	resp, err := e.send(req, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	obj := &object{vclock: []byte(resp.Header.Get("X-Riak-Vclock"))}
	switch resp.StatusCode {
	case http.StatusNotFound:
		io.Copy(io.Discard, resp.Body)
		if len(obj.vclock) > 0 {
			// A deleted key whose tombstone is not yet reaped: no value,
			// but a write must carry this vclock to supersede it.
			return obj, nil
		}
		return nil, nil
	case http.StatusOK:
		v := value{expires: parseExpires(resp.Header.Get(headerExpires))}
		if !head {
			if v.data, err = io.ReadAll(resp.Body); err != nil {
				return nil, unavailable(fmt.Errorf("reading the value: %w", err))
			}
		}
		obj.values = []value{v}
		return obj, nil
	case http.StatusMultipleChoices:
		if head {
			// A HEAD answer has no sibling list; fetch it to learn which
			// siblings are live.
			return e.fetch(ctx, k, false)
		}
		if obj.values, err = readSiblings(resp); err != nil {
			return nil, unavailable(fmt.Errorf("reading the siblings: %w", err))
		}
		return obj, nil
	default:
		return nil, statusError(resp)
	}
}

// readSiblings parses a 300 answer to an Accept: multipart/mixed fetch:
// one part per sibling, each with its own headers.
func readSiblings(resp *http.Response) ([]value, error) {
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		return nil, fmt.Errorf("sibling list of type %q, want multipart/mixed", resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
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
		deleted, _ := strconv.ParseBool(part.Header.Get("X-Riak-Deleted"))
		vals = append(vals, value{data: data, expires: parseExpires(part.Header.Get(headerExpires)), deleted: deleted})
	}
	if len(vals) == 0 {
		return nil, errors.New("no siblings in the sibling list")
	}
	return vals, nil
}

func (e *httpEndpoint) store(ctx context.Context, k mstore.Key, vclock []byte, v value) error {
	req, err := e.request(ctx, http.MethodPut, k, v.data)
	if err != nil {
		return err
	}
	req.Header.Set(headerExpires, strconv.FormatInt(v.expires, 10))
	resp, err := e.send(req, vclock)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNoContent, http.StatusCreated:
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	return statusError(resp)
}

func (e *httpEndpoint) remove(ctx context.Context, k mstore.Key, vclock []byte) error {
	req, err := e.request(ctx, http.MethodDelete, k, nil)
	if err != nil {
		return err
	}
	resp, err := e.send(req, vclock)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusOK:
		io.Copy(io.Discard, resp.Body)
		return nil
	case http.StatusNotFound:
		io.Copy(io.Discard, resp.Body)
		return mstore.ErrNotFound
	}
	return statusError(resp)
}
