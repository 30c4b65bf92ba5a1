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
	p := retry.MM7Policy{DeliveryReport: true, SaveMessage: true, UseShortcode: false}
	if b := p.Bucket("4321"); b != "MADR-MM7" {
		t.Errorf("bucket %s", b)
	}
	p.UseShortcode = true
	if b := p.Bucket("4321"); b != "MADR-4321" || p.Bucket("") != "MADR-MM7" {
		t.Errorf("bucket %s", b)
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
