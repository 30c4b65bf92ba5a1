package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/retry"
	"msyshost/lib/spool"
)

func TestMM7PolicyOf(t *testing.T) {
	cfg, err := config.Parse("t.conf", []byte(`
mm7_delivery_report = true
Domain "quiet.example" { mm7_mstore_save_message = false }
Domain "short.example" { mm7_mstore_bucket_use_shortcode = false mm7_delivery_report = off }
`))
	if err != nil {
		t.Fatal(err)
	}
	for domain, want := range map[string]retry.MM7Policy{
		"mm7.example":   {DeliveryReport: true, SaveMessage: true, UseShortcode: true},
		"quiet.example": {DeliveryReport: true, SaveMessage: false, UseShortcode: true},
		// use_shortcode is global-only: the domain's setting is not read.
		"short.example": {DeliveryReport: false, SaveMessage: true, UseShortcode: true},
	} {
		p, err := retry.MM7PolicyOf(cfg, config.Scope{Domain: domain})
		if err != nil || p != want {
			t.Errorf("%s: %+v %v, want %+v", domain, p, err, want)
		}
	}
	if why := (retry.MM7Policy{SaveMessage: true}).Why("d"); why != "not tracked: mm7_delivery_report = false and mm7_mstore_save_message = true for domain d" {
		t.Errorf("why %q", why)
	}
	bad, _ := config.Parse("b.conf", []byte("mm7_delivery_report = maybe\n"))
	if _, err := retry.MM7PolicyOf(bad, config.Scope{}); err == nil {
		t.Error("a bad boolean was accepted")
	}
}

func TestMM7ReportTrx(t *testing.T) {
	r := retry.MM7Report{MessageID: "m1", Status: "Expired", TransactionID: "t"}.Receipt("MADR-MM7")
	if r.Channel != retry.MM7 || r.Bucket != "MADR-MM7" || r.ID != "m1" || r.Status != "Expired" {
		t.Errorf("receipt %+v", r)
	}
	for _, k := range []string{"message_id", "status", "status_text", "transaction_id", "recipient", "sender", "date", "mm7_version"} {
		if _, ok := r.Trx[k]; !ok {
			t.Errorf("trx lacks %s", k)
		}
	}
}

func TestLocate(t *testing.T) {
	hooks := &fakeHooks{returns: map[string]int{}}
	core, _, st, clk := newClockedCore(t, hooks)
	core.ParkTimeout = 200 * time.Millisecond
	ctx := context.Background()
	p := retry.MM7Policy{DeliveryReport: true, SaveMessage: true, UseShortcode: true}
	if _, err := core.Submitted(ctx, p.Submission(message.FromRaw("a@b", "1@c", []byte("\r\nx")), "id1", "4321", "", "c")); err != nil {
		t.Fatal(err)
	}
	wrong, right := mstore.Key{Bucket: "MADR-9", ID: "id1"}, mstore.Key{Bucket: "MADR-4321", ID: "id1"}
	k, ok, err := core.Locate(ctx, wrong, right)
	if k != right || !ok || err != nil {
		t.Errorf("stored: %v %v %v", k, ok, err)
	}
	// An unknown message is looked for until the park timeout, on the
	// core's clock.
	type answer struct {
		ok  bool
		err error
	}
	got := make(chan answer)
	go func() {
		_, ok, err := core.Locate(ctx, mstore.Key{Bucket: "MADR-MM7", ID: "nope"})
		got <- answer{ok, err}
	}()
	var waited time.Duration
	for waited < 200*time.Millisecond {
		d := <-clk.armed
		clk.advance(d)
		waited += d
	}
	if a := <-got; a.ok || a.err != nil {
		t.Errorf("unknown: %v %v", a.ok, a.err)
	}
	// A report that overtakes the save finds the message once it is stored.
	late := mstore.Key{Bucket: "MADR-4321", ID: "id2"}
	found := make(chan bool)
	go func() {
		k, ok, _ := core.Locate(ctx, late)
		found <- ok && k == late
	}()
	<-clk.armed
	if _, err := core.Submitted(ctx, p.Submission(message.FromRaw("a@b", "1@c", []byte("\r\nx")), "id2", "4321", "", "c")); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Second)
	if !<-found {
		t.Error("late save not found")
	}
	st.Close()
	if _, ok, err := core.Locate(ctx, mstore.Key{Bucket: "MADR-MM7", ID: "x"}); ok || !errors.Is(err, mstore.ErrClosed) {
		t.Errorf("closed store: %v %v", ok, err)
	}
}

// A report whose sender the relay rewrote names no short code bucket; the
// report alias MADR-MM7/<id> leads to the message stored under
// MADR-<shortcode>, in memory or (after a restart) in the store, and goes
// once the report was acted on.
func TestLocateFollowsReportAlias(t *testing.T) {
	hooks := &fakeHooks{returns: map[string]int{}}
	core, _, st := newCore(t, hooks)
	ctx := context.Background()
	p := retry.MM7Policy{DeliveryReport: true, SaveMessage: true, UseShortcode: true}
	if _, err := core.Submitted(ctx, p.Submission(message.FromRaw("a@b", "1@c", []byte("\r\nx")), "id1", "4321", "", "c")); err != nil {
		t.Fatal(err)
	}
	msg, alias := mstore.Key{Bucket: "MADR-4321", ID: "id1"}, mstore.Key{Bucket: "MADR-MM7", ID: "id1"}
	a, err := st.Load(ctx, alias)
	if err != nil || a.Target() != msg {
		t.Fatalf("report alias: %+v %v", a, err)
	}
	// A fresh core knows nothing in memory: the store's alias answers.
	restarted := &retry.Core{Store: st, Hooks: hooks, Bouncer: &spool.Recorder{}, ParkTimeout: -1}
	rewritten := mstore.Key{Bucket: "MADR-14321", ID: "id1"}
	k, ok, err := restarted.Locate(ctx, rewritten, alias)
	if k != msg || !ok || err != nil {
		t.Fatalf("Locate through the alias: %v %v %v", k, ok, err)
	}
	if _, err := restarted.Receipt(ctx, retry.MM7Report{MessageID: "id1", Status: "Retrieved"}.Receipt(k.Bucket)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, alias); !errors.Is(err, mstore.ErrNotFound) {
		t.Errorf("alias left after the report was acted on: %v", err)
	}
	// A submission without a short code is stored under MADR-MM7 itself,
	// with no alias.
	if _, err := core.Submitted(ctx, p.Submission(message.FromRaw("a@b", "1@c", []byte("\r\nx")), "id2", "", "", "c")); err != nil {
		t.Fatal(err)
	}
	if r, err := st.Load(ctx, mstore.Key{Bucket: "MADR-MM7", ID: "id2"}); err != nil || r.IsAlias() {
		t.Errorf("MADR-MM7/id2: %+v %v", r, err)
	}
	// An alias whose message is gone names nothing.
	if err := st.Save(ctx, &mstore.Record{Key: mstore.Key{Bucket: "MADR-MM7", ID: "gone"}, Origin: mstore.Origin{Channel: "mm7"},
		SegmentOf: "gone", AliasBucket: "MADR-4321"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := restarted.Locate(ctx, mstore.Key{Bucket: "MADR-MM7", ID: "gone"}); ok || err != nil {
		t.Errorf("orphan alias located: %v %v", ok, err)
	}
}

// SMPP and MM7 share the MADR-<shortcode> buckets: an MM7 report whose
// MessageID is also an SMPP message's id under the same short code is not
// that message's, and a negative one does not bounce it.
func TestReportIgnoresTheOtherChannelsRecord(t *testing.T) {
	hooks := &fakeHooks{returns: map[string]int{}}
	core, rec, st := newCore(t, hooks)
	core.ParkTimeout = -1
	ctx := context.Background()
	sms := retry.Submission{Channel: retry.SMPP, Message: message.FromRaw("sms@example.com", "1@smpp.example", []byte("\r\nx")),
		IDs: []string{"77"}, Shortcode: "4321", Save: true}
	key, err := core.Submitted(ctx, sms)
	if err != nil || key != (mstore.Key{Bucket: "MADR-4321", ID: "77"}) {
		t.Fatal(key, err)
	}
	if _, ok, err := core.Locate(ctx, key); ok || err != nil {
		t.Errorf("MM7 Locate found the SMPP message: %v %v", ok, err)
	}
	res, err := core.Receipt(ctx, retry.MM7Report{MessageID: "77", Status: "Expired"}.Receipt("MADR-4321"))
	if err != nil || res.Bounced {
		t.Errorf("MM7 report bounced the SMPP message: %+v %v", res, err)
	}
	if _, b := rec.Take(); len(b) != 0 {
		t.Errorf("bounces %+v", b)
	}
	if r, err := st.Load(ctx, key); err != nil || r.Origin.Channel != "smpp" {
		t.Errorf("SMPP message gone: %v", err)
	}
}
