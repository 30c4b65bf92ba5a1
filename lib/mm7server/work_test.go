package mm7server_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/mm7"
	"msyshost/lib/mm7server"
	"msyshost/lib/mstore"
	"msyshost/lib/spool"
)

// slowReroute models luahost running examples/mm7_hooks.lua's negative
// hook: it takes a while, and a hook whose context is cancelled mid-run is
// cut short and counts as MM7_CONTINUE (0); otherwise it re-routes the
// message and deletes the copy, returning MM7_DELIVERED (3).
type slowReroute struct {
	hooks
	store *mstoreDeleter
	cut   chan bool
}

type mstoreDeleter struct {
	del func(mstore.Key) error
}

func (h *slowReroute) Dispatch(ctx context.Context, hook string, args ...any) int {
	h.hooks.Dispatch(ctx, hook, args...)
	if hook != "mm7_handle_DR_negative" {
		return 0
	}
	select {
	case <-time.After(300 * time.Millisecond):
	case <-ctx.Done():
		h.cut <- true
		return 0
	}
	defer func() { h.cut <- false }()
	if err := h.store.del(mstore.Key{Bucket: args[1].(string), ID: args[2].(string)}); err != nil {
		return 0
	}
	return 3
}

// A relay whose HTTP timeout is shorter than the hook hangs up mid-hook.
// The hook runs to its end all the same: the message is re-routed, not
// bounced, and the copy is gone, so the relay's resend is acknowledged as
// a duplicate.
func TestRelayHangingUpDoesNotCutTheHookShort(t *testing.T) {
	f := setup(t, mm7server.Options{})
	h := &slowReroute{cut: make(chan bool, 1), store: &mstoreDeleter{del: func(k mstore.Key) error {
		return f.store.Delete(context.Background(), k)
	}}}
	f.core.Hooks = h
	f.submitted(t, "m9", "4321")
	ct, body, _ := mm7.Style{}.Encode(report("m9", "Expired", shortcode4321))
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL(), bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	relay := &http.Client{Timeout: 100 * time.Millisecond}
	if _, err := relay.Do(req); err == nil {
		t.Fatal("the relay got its answer before its timeout; the hook was not slow enough")
	}
	if cut := <-h.cut; cut {
		t.Fatal("the hook's context was cancelled when the relay hung up")
	}
	// The relay sends the report again: a duplicate.
	code, env := postEnv(t, f.srv.URL(), report("m9", "Expired", shortcode4321))
	wantRsp(t, code, env, "tx-m9")
	if _, bounces := f.rec.Take(); len(bounces) != 0 {
		t.Errorf("bounced a message the hook re-routed: %+v", bounces)
	}
	if _, err := f.store.Load(context.Background(), mstore.Key{Bucket: "MADR-4321", ID: "m9"}); !errors.Is(err, mstore.ErrNotFound) {
		t.Errorf("copy left: %v", err)
	}
	if log := f.log.String(); !strings.Contains(log, "duplicate=true") || strings.Contains(log, "context canceled") {
		t.Errorf("log:\n%s", log)
	}
}

// blockingInjector holds MO injections until released and records the
// context each one had when it went on.
type blockingInjector struct {
	spool.Recorder
	release chan struct{}
	mu      sync.Mutex
	errs    []error
}

func (b *blockingInjector) Inject(ctx context.Context, m *message.Message) error {
	<-b.release
	b.mu.Lock()
	b.errs = append(b.errs, ctx.Err())
	b.mu.Unlock()
	return b.Recorder.Inject(ctx, m)
}

// An MO message whose relay hangs up while it is being queued is queued
// all the same.
func TestRelayHangingUpDoesNotCancelMOInjection(t *testing.T) {
	inj := &blockingInjector{release: make(chan struct{})}
	f := setup(t, mm7server.Options{FromDomain: "mms.example.com", ToDomain: "example.com", Injector: inj})
	ct, body, _ := mm7.Style{}.Encode(&mm7.Envelope{TransactionID: "mo1", Body: &mm7.DeliverReq{MM7Version: "6.8.0",
		Sender: mm7.Address{Kind: mm7.Number, Value: "447700900555"}, Recipients: mm7.Recipients{To: []mm7.Address{shortcode4321}}}})
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL(), bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if _, err := (&http.Client{Timeout: 100 * time.Millisecond}).Do(req); err == nil {
		t.Fatal("answered before the injection")
	}
	// Give the server time to notice the closed connection (net/http
	// cancels a request's context from its background read).
	time.Sleep(200 * time.Millisecond)
	close(inj.release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		inj.mu.Lock()
		errs := append([]error(nil), inj.errs...)
		inj.mu.Unlock()
		if len(errs) > 0 {
			if errs[0] != nil {
				t.Errorf("injection context: %v", errs[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no injection")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A receiver takes only so many requests at once; the next one is told to
// come back (4006, faultcode Server) rather than waited for. A delivery
// report is a small document: a large bare SOAP body is refused long
// before the MO size limit.
func TestReceiverLimits(t *testing.T) {
	f := setup(t, mm7server.Options{MaxInFlight: 1, MaxSize: 1 << 20, MaxXMLSize: 16 << 10})
	f.submitted(t, "b1", "4321")
	release := make(chan struct{})
	entered := make(chan struct{})
	f.hooks.do = func(string, string, string) {
		close(entered)
		<-release
	}
	done := make(chan int)
	go func() {
		code, _ := postEnv(t, f.srv.URL(), report("b1", "Retrieved", shortcode4321))
		done <- code
	}()
	<-entered
	code, env := postEnv(t, f.srv.URL(), report("b2", "Retrieved", shortcode4321))
	wantFault(t, code, env, mm7.ServiceUnavailable, "Server")
	close(release)
	if code := <-done; code != http.StatusOK {
		t.Errorf("first report: HTTP %d", code)
	}
	big := append([]byte(`<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><x>`), bytes.Repeat([]byte("a"), 32<<10)...)
	code, env = post(t, f.srv.URL(), "text/xml", big)
	wantFault(t, code, env, mm7.MultimediaContentRefused, "Client")
	// The same size as an MO message's multipart body is read (and then
	// found malformed).
	mp := append([]byte("--b\r\nContent-Type: text/plain\r\n\r\n"), bytes.Repeat([]byte("a"), 32<<10)...)
	code, env = post(t, f.srv.URL(), "multipart/related; boundary=b", mp)
	if d := wantFault(t, code, env, mm7.MessageFormatCorrupt, "Client"); strings.Contains(d.Status.Details, "larger than") {
		t.Errorf("multipart refused for its size: %s", d.Status.Details)
	}
}
