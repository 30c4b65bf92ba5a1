package mm7client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mm7"
	"msyshost/lib/mm7client"
	"msyshost/lib/mmsc"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
	"msyshost/lib/retry"
	"msyshost/lib/spool"
	"msyshost/lib/status"
)

type hooks struct {
	mu    sync.Mutex
	calls []string
}

func (h *hooks) Dispatch(_ context.Context, hook string, args ...any) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, fmt.Sprintf("%s %v", hook, args[1:]))
	return 0
}

type fixture struct {
	sim   *mmsc.MMSC
	store *embedded.Store
	hooks *hooks
	ch    *mm7client.Channel
}

// setup starts a simulator and a channel whose config routes
// mm7.example.com to it; extra is added inside the domain stanza.
func setup(t *testing.T, simOpts mmsc.Options, extra string) *fixture {
	t.Helper()
	sim := mmsc.New(simOpts, nil)
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Stop(context.Background()) })
	return setupWith(t, sim, "mm7://"+sim.Addr()+"/mm7", extra)
}

func setupWith(t *testing.T, sim *mmsc.MMSC, route, extra string) *fixture {
	t.Helper()
	cfg, err := config.Parse("t.conf", []byte(fmt.Sprintf(`
Domain "mm7.example.com" {
  delivery_method = "mm7"
  routes = ( %q )
  mm7_vaspid = "harbour"
  mm7_sender_address = "4321"
  %s
}`, route, extra)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &hooks{}
	core := &retry.Core{Store: st, Hooks: h, Bouncer: &spool.Recorder{}}
	return &fixture{sim: sim, store: st, hooks: h, ch: mm7client.New(func() *config.Config { return cfg }, core, nil)}
}

const photoMail = "From: promo@example.com\r\nTo: 15557654321@mm7.example.com\r\nSubject: =?utf-8?q?Caf=C3=A9?= opening\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n" +
	"--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n" +
	"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWe open on Monday.\r\n" +
	"--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>We open on Monday.</p>\r\n--a--\r\n" +
	"--m\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"front.png\"\r\n\r\niVBORw0KGgo=\r\n" +
	"--m--\r\n"

func TestDeliverTrackedSubmission(t *testing.T) {
	f := setup(t, mmsc.Options{}, `mm7_delivery_report = true`)
	m := message.FromRaw("promo@example.com", "15557654321@mm7.example.com", []byte(photoMail))
	if err := f.ch.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	subs := f.sim.Submissions()
	if len(subs) != 1 {
		t.Fatalf("%d submissions", len(subs))
	}
	req, id := subs[0].Request, subs[0].MessageID
	if req.VASPID != "harbour" || req.VASID != "MessageSystems-VASID" || req.SenderAddress.Kind != mm7.ShortCode ||
		req.SenderAddress.Value != "4321" || req.Recipients.To[0].Value != "15557654321" ||
		req.DeliveryReport == nil || !*req.DeliveryReport || req.Subject != "Café opening" || subs[0].Namespace != mm7.DefaultNamespace {
		t.Errorf("SubmitReq %+v", req)
	}
	parts, err := req.Content.Parts()
	if err != nil || len(parts) != 3 {
		t.Fatalf("content parts %d %v", len(parts), err)
	}
	if mt, _ := parts[0].MediaType(); mt != "application/smil" {
		t.Errorf("first part %s, want the generated SMIL", mt)
	}
	if mt, _ := parts[1].MediaType(); mt != "text/plain" {
		t.Errorf("the plain alternative should be picked, got %s", mt)
	}
	if b, _ := parts[2].Decoded(); string(b) != "\x89PNG\r\n\x1a\n" || parts[2].Get("Content-Location") != "front.png" {
		t.Errorf("picture %q named %q", b, parts[2].Get("Content-Location"))
	}
	if _, err := f.store.Load(context.Background(), mstore.Key{Bucket: "MADR-4321", ID: id}); err != nil {
		t.Errorf("stored copy: %v", err)
	}
	if m.Context[mm7client.CtxResponseMessageID] != id || m.Context[mm7client.CtxResponseStatus] != "1000" ||
		m.Context[mm7client.CtxTransactionID] != subs[0].TransactionID {
		t.Errorf("context %v", m.Context)
	}
	if len(f.hooks.calls) != 1 || f.hooks.calls[0] != "mm7_store_submit_hook [MADR-4321 "+id+"]" {
		t.Errorf("hooks %q", f.hooks.calls)
	}
}

func TestDeliverUntracked(t *testing.T) {
	for _, extra := range []string{``, `mm7_delivery_report = true mm7_mstore_save_message = false`} {
		f := setup(t, mmsc.Options{}, extra)
		m := message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte("Subject: hi\r\n\r\nplain words\r\n"))
		if err := f.ch.Deliver(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		sub := f.sim.Submissions()[0]
		if _, err := f.store.Load(context.Background(), mstore.Key{Bucket: "MADR-4321", ID: sub.MessageID}); !errors.Is(err, mstore.ErrNotFound) {
			t.Errorf("%q: stored anyway (%v)", extra, err)
		}
		if len(f.hooks.calls) != 0 {
			t.Errorf("%q: hooks %q", extra, f.hooks.calls)
		}
		if (sub.Request.DeliveryReport != nil) != strings.Contains(extra, "report = true") {
			t.Errorf("%q: DeliveryReport %v", extra, sub.Request.DeliveryReport)
		}
		// mm7_soap_attachment_simple_mime (default true): plain text goes
		// bare, without a presentation.
		if mt, _ := sub.Request.Content.MediaType(); mt != "text/plain" {
			t.Errorf("plain text went as %s", mt)
		}
	}
}

func TestDeliverContextOverrides(t *testing.T) {
	f := setup(t, mmsc.Options{}, `mm7_soap_attachment_simple_mime = false mm7_mstore_bucket_use_shortcode = false`)
	m := message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte("Subject: hi\r\n\r\nplain words\r\n"))
	m.Context[mm7client.CtxDeliveryReport] = "true"
	m.Context[mm7client.CtxSenderAddress] = "9876"
	if err := f.ch.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	sub := f.sim.Submissions()[0]
	if sub.Request.SenderAddress.Value != "9876" || !mm7.HasSMIL(sub.Request.Content) {
		t.Errorf("request %+v", sub.Request)
	}
	// mm7_mstore_bucket_use_shortcode is global: the domain's setting is
	// not read, so the bucket is the short code's.
	if _, err := f.store.Load(context.Background(), mstore.Key{Bucket: "MADR-9876", ID: sub.MessageID}); err != nil {
		t.Errorf("stored copy: %v", err)
	}
}

func TestDeliverPresentationPassesThrough(t *testing.T) {
	f := setup(t, mmsc.Options{}, ``)
	mail := "Subject: slides\r\nContent-Type: multipart/related; boundary=r; type=\"application/smil\"; start=\"<s>\"\r\n\r\n" +
		"--r\r\nContent-Type: application/smil\r\nContent-ID: <s>\r\n\r\n<smil><body><par><text src=\"cid:t\"/></par></body></smil>\r\n" +
		"--r\r\nContent-Type: text/plain\r\nContent-ID: <t>\r\n\r\nmine\r\n--r--\r\n"
	m := message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte(mail))
	if err := f.ch.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	c := f.sim.Submissions()[0].Request.Content
	parts, err := c.Parts()
	if err != nil || len(parts) != 2 || !strings.Contains(string(parts[0].Body), `<text src="cid:t"/>`) {
		t.Errorf("the author's presentation was not kept: %d parts, %v", len(parts), err)
	}
}

func TestDeliverFailures(t *testing.T) {
	ctx := context.Background()
	f := setup(t, mmsc.Options{Reject: map[string]int{"1555000": mm7.AddressNotFound, "1555999": mm7.NotPossible}}, `mm7_delivery_report = true`)
	for rcpt, want := range map[string]struct {
		temp bool
		code int
		text string
	}{
		"15550001111@mm7.example.com": {false, 2003, "Address Not Found"},
		"15559991111@mm7.example.com": {true, 3001, "Not Possible"},
		"john@mm7.example.com":        {false, 2002, "not a phone number"},
	} {
		err := f.ch.Deliver(ctx, message.FromRaw("a@example.com", rcpt, []byte("\r\nx")))
		se, ok := status.Of(err)
		if !ok || se.Temporary != want.temp || se.Code != want.code || !strings.Contains(err.Error(), want.text) {
			t.Errorf("%s: %v", rcpt, err)
		}
	}

	// Wrong credentials and an unreachable relay keep the message.
	locked := setup(t, mmsc.Options{User: "u", Password: "p"}, `http_basic_auth = "u:wrong"`)
	err := locked.ch.Deliver(ctx, message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte("\r\nx")))
	if !status.IsTemporary(err) || !strings.Contains(err.Error(), "refused the credentials (HTTP 401)") {
		t.Errorf("bad credentials: %v", err)
	}
	down := setupWith(t, nil, "mm7://127.0.0.1:1/mm7", "")
	err = down.ch.Deliver(ctx, message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte("\r\nx")))
	if !status.IsTemporary(err) || !strings.Contains(err.Error(), "posting SubmitReq to http://127.0.0.1:1/mm7") {
		t.Errorf("unreachable: %v", err)
	}
	// A VASPID the relay does not know (yet: credentials being rotated)
	// is 4001 Improper identification: kept for a retry, as HTTP 401 is.
	strict := setup(t, mmsc.Options{VASPID: "someone-else"}, ``)
	err = strict.ch.Deliver(ctx, message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte("\r\nx")))
	if se, ok := status.Of(err); !ok || se.Code != 4001 || !se.Temporary || se.Enhanced != "4.7.0" {
		t.Errorf("unknown VASPID: %v", err)
	}

	// Accepted but not stored: a temporary store error, so the spool
	// keeps the message.
	f.store.Close()
	err = f.ch.Deliver(ctx, message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte("\r\nx")))
	se, ok := status.Of(err)
	if !ok || se.Protocol != status.Store || !se.Temporary || !errors.Is(err, mstore.ErrClosed) ||
		!strings.Contains(err.Error(), "the MMSC accepted the message as") {
		t.Errorf("store down: %v", err)
	}
}

func TestDeliverHTTPSWithBasicAuth(t *testing.T) {
	sim := mmsc.New(mmsc.Options{User: "vasp", Password: "pw"}, nil)
	ts := httptest.NewTLSServer(sim)
	defer ts.Close()
	f := setupWith(t, sim, ts.URL+"/mm7", `http_basic_auth = "vasp:pw" mm7_response_timer = 5`)
	f.ch.Client.HTTP = ts.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.ch.Deliver(ctx, message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte("\r\nhello"))); err != nil {
		t.Fatal(err)
	}
	if n := len(sim.Submissions()); n != 1 {
		t.Errorf("%d submissions over HTTPS", n)
	}
}
