// Package mm7client is the VASP side of MM7 (3GPP TS 23.140 clause 8): it
// turns a message into a SubmitReq, posts it to the relay (MMSC) over
// HTTP(S) with Basic auth, reads the SubmitRsp, and, as a lib/channel
// Channel, hands accepted submissions to the retry core so they are kept
// until their delivery report. The options are Momentum's (options.go).
package mm7client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"msyshost/lib/mm7"
	"msyshost/lib/status"
)

// maxResponse bounds what is read of a relay's answer; a SubmitRsp or an
// RSErrorRsp is well under a kilobyte.
const maxResponse = 1 << 20

// Client posts MM7 requests.
type Client struct {
	// HTTP carries the requests; nil uses a client of its own with
	// keep-alive connections.
	HTTP *http.Client
	Log  *slog.Logger
	// Redirect, when set, says where a connection to a relay's host:port
	// goes instead: the process's PeerAddr, which points a scenario's
	// configured MMSC at the simulator it started on a free port.
	Redirect func(addr string) string
	// MaxIdlePerHost is how many idle connections to one relay are kept
	// for the next requests (mm7_http_max_idle_connections); zero is
	// DefaultMaxIdlePerHost. Read when the first request goes out.
	MaxIdlePerHost int

	defaultHTTP *http.Client
	httpOnce    sync.Once
	seq         atomic.Uint64
	once        sync.Once
	prefix      string
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	c.httpOnce.Do(func() {
		t := http.DefaultTransport.(*http.Transport).Clone()
		if c.Redirect != nil {
			d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
			t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				return d.DialContext(ctx, network, c.Redirect(addr))
			}
		}
		t.MaxIdleConnsPerHost = DefaultMaxIdlePerHost
		if c.MaxIdlePerHost > 0 {
			t.MaxIdleConnsPerHost = c.MaxIdlePerHost
		}
		// A redirect is not followed: Go would send the POST again as a
		// GET without its body; the relay's new address belongs in the
		// config (answer reports it).
		c.defaultHTTP = &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	})
	return c.defaultHTTP
}

// DefaultMaxIdlePerHost is how many idle connections to one relay the
// client keeps unless told otherwise: Go's default of 2 makes every
// submission beyond two at a time open and close a connection.
const DefaultMaxIdlePerHost = 16

func (c *Client) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// TransactionID returns a new TransactionID: unique in this process and,
// through a random prefix, across restarts.
func (c *Client) TransactionID() string {
	c.once.Do(func() {
		var b [4]byte
		rand.Read(b[:])
		c.prefix = "msyshost-" + hex.EncodeToString(b[:])
	})
	return fmt.Sprintf("%s-%d", c.prefix, c.seq.Add(1))
}

// Submit posts req and returns the relay's SubmitRsp. Any failure is a
// *status.Error: the relay's StatusCode with its class's temporary or
// permanent nature, or a temporary error when the relay could not be
// reached or its answer not read.
func (c *Client) Submit(ctx context.Context, s Settings, tid string, req *mm7.SubmitReq) (*mm7.SubmitRsp, error) {
	env, err := c.Do(ctx, s, &mm7.Envelope{TransactionID: tid, Namespace: s.Namespace, Body: req})
	if err != nil {
		return nil, err
	}
	rsp, ok := env.Body.(*mm7.SubmitRsp)
	if !ok {
		return nil, unreadable("answered a SubmitReq with %s", env.Body.Name())
	}
	if err := rsp.Status.Err(); err != nil {
		return rsp, err
	}
	return rsp, nil
}

// Do posts one request and returns the answer, which is not a Fault and
// not an RSErrorRsp (those are returned as their status errors).
func (c *Client) Do(ctx context.Context, s Settings, env *mm7.Envelope) (*mm7.Envelope, error) {
	ct, body, err := s.Style.Encode(env)
	if err != nil {
		return nil, &status.Error{Protocol: status.MM7, Enhanced: "5.6.0", Text: "message cannot be written as MM7", Err: err}
	}
	if s.ResponseTimer > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.ResponseTimer)
		defer cancel()
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return nil, &status.Error{Protocol: status.MM7, Temporary: true, Text: "bad MMSC URL " + s.URL, Err: err}
	}
	hreq.Header.Set("Content-Type", ct)
	// SOAP 1.1 §6.1.1: the SOAPAction header is mandatory; MM7 gives it
	// no value.
	hreq.Header.Set("SOAPAction", `""`)
	if s.Host != "" {
		hreq.Host = s.Host
	}
	if s.User != "" {
		hreq.SetBasicAuth(s.User, s.Password)
	}
	resp, err := c.http().Do(hreq)
	if err != nil {
		return nil, &status.Error{Protocol: status.MM7, Temporary: true, Enhanced: "4.4.1",
			Text: fmt.Sprintf("posting %s to %s", env.Body.Name(), s.URL), Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, &status.Error{Protocol: status.MM7, Temporary: true, Enhanced: "4.4.2",
			Text: fmt.Sprintf("reading the answer to %s from %s", env.Body.Name(), s.URL), Err: err}
	}
	if len(raw) > maxResponse {
		return nil, unreadable("answer from %s is larger than %d bytes", s.URL, maxResponse)
	}
	return c.answer(s, env, resp, raw)
}

// answer reads a relay's HTTP answer. A SOAP fault comes with HTTP 500
// (SOAP 1.1 §6.2) and carries the RSErrorRsp; some relays answer an
// RSErrorRsp with 200; an HTTP error without a SOAP body is the web
// server's, not the relay's.
func (c *Client) answer(s Settings, req *mm7.Envelope, resp *http.Response, raw []byte) (*mm7.Envelope, error) {
	env, err := mm7.Decode(resp.Header.Get("Content-Type"), raw, mm7.Limits{})
	if err != nil {
		switch {
		case resp.StatusCode == http.StatusRequestEntityTooLarge:
			// The relay's size limit: the same message will not fit later.
			return nil, &status.Error{Protocol: status.MM7, Code: mm7.MultimediaContentRefused, Enhanced: "5.3.4",
				Text: fmt.Sprintf("%s refused the message as too large (HTTP 413)", s.URL)}
		case resp.StatusCode/100 == 3:
			return nil, &status.Error{Protocol: status.MM7, Temporary: true, Enhanced: "4.4.0",
				Text: fmt.Sprintf("%s answered HTTP %s, redirecting to %q: a POST is not followed; point the domain's routes there",
					s.URL, resp.Status, resp.Header.Get("Location"))}
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			// Wrong credentials are a config error: keep the messages
			// until someone fixes it.
			return nil, &status.Error{Protocol: status.MM7, Temporary: true, Enhanced: "4.7.0",
				Text: fmt.Sprintf("%s refused the credentials (HTTP %d); check http_basic_auth", s.URL, resp.StatusCode)}
		case resp.StatusCode/100 != 2:
			return nil, &status.Error{Protocol: status.MM7, Temporary: true, Enhanced: "4.4.0",
				Text: fmt.Sprintf("%s answered HTTP %s", s.URL, resp.Status)}
		}
		return nil, unreadable("answer from %s: %v", s.URL, err)
	}
	if env.TransactionID != "" && env.TransactionID != req.TransactionID {
		c.log().Warn("MM7 answer carries another TransactionID", "sent", req.TransactionID, "got", env.TransactionID, "url", s.URL)
	}
	if f := env.Fault; f != nil {
		if f.Detail != nil {
			return nil, detailErr(f.Detail.Status, f.String)
		}
		// A fault without an RSErrorRsp: Client means the relay could not
		// take this request as written, Server its own trouble.
		return nil, &status.Error{Protocol: status.MM7, Temporary: f.Code != "Client",
			Enhanced: map[bool]string{true: "4.3.0", false: "5.5.0"}[f.Code != "Client"],
			Text:     fmt.Sprintf("SOAP fault %s: %s", f.Code, f.String)}
	}
	if e, ok := env.Body.(*mm7.ErrorRsp); ok {
		return nil, detailErr(e.Status, "")
	}
	return env, nil
}

func detailErr(st mm7.Status, faultString string) error {
	if st.OK() {
		// An error response that claims success is not one.
		st = mm7.Status{Code: mm7.ServerError, Text: "error response with success code", Details: faultString}
	}
	return st.Err()
}

func unreadable(format string, args ...any) error {
	return &status.Error{Protocol: status.MM7, Temporary: true, Enhanced: "4.4.0", Text: fmt.Sprintf(format, args...)}
}

var errNotPhone = errors.New("not a phone number")

// Recipient turns the local part of an envelope recipient into an MM7
// address: 15551234567@mms.example.com goes to the handset 1 555 123 4567
// (Momentum's convention), with mm7_number_prefix in front. A number
// written with its leading + is international already and gets no
// prefix (00+1555... is no number).
func Recipient(rcpt, prefix string) (mm7.Address, error) {
	local := rcpt
	if i := strings.LastIndexByte(rcpt, '@'); i >= 0 {
		local = rcpt[:i]
	}
	local = strings.TrimSpace(strings.Trim(local, "<>"))
	digits, international := strings.CutPrefix(local, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return mm7.Address{}, errNotPhone
	}
	if international {
		return mm7.Address{Kind: mm7.Number, Value: local}, nil
	}
	return mm7.Address{Kind: mm7.Number, Value: prefix + local}, nil
}

// Sender address types (mm7_sender_address_type).
const (
	SenderAuto      = "auto"
	SenderShortCode = "ShortCode"
	SenderNumber    = "Number"
)

// SenderAddress reads mm7_sender_address as kind says: an e-mail address
// always; with SenderAuto a number (a leading +, or more than six digits:
// national numbers of seven or eight digits exist, short codes that long
// are rare) or else a short code (six digits at most, or letters); or the
// kind given. A short code also names the store bucket.
func SenderAddress(v, kind string) (addr *mm7.Address, shortcode string) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return nil, ""
	case strings.Contains(v, "@"):
		return &mm7.Address{Kind: mm7.RFC2822Address, Value: v}, ""
	case strings.EqualFold(kind, SenderShortCode),
		!strings.EqualFold(kind, SenderNumber) && mm7.IsShortCode(v):
		return &mm7.Address{Kind: mm7.ShortCode, Value: v}, v
	}
	return &mm7.Address{Kind: mm7.Number, Value: v}, ""
}
