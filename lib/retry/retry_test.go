package retry_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"msyshost/lib/hook"
	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
	"msyshost/lib/retry"
	"msyshost/lib/spool"
)

// fakeHooks answers hooks from a table and records what was called.
type fakeHooks struct {
	mu      sync.Mutex
	returns map[string]int
	calls   []string
	block   chan struct{} // when set, smpp_store_submit waits on it
}

func (f *fakeHooks) Dispatch(_ context.Context, hook string, args ...any) int {
	if hook == "smpp_store_submit" && f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, hook)
	return f.returns[hook]
}

func (f *fakeHooks) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func newCore(t *testing.T, hooks *fakeHooks) (*retry.Core, *spool.Recorder, mstore.Store) {
	t.Helper()
	return newCoreWith(t, hooks)
}

func newCoreWith(t *testing.T, hooks retry.Hooks) (*retry.Core, *spool.Recorder, mstore.Store) {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &spool.Recorder{}
	return &retry.Core{Store: st, Hooks: hooks, Bouncer: rec, ParkTimeout: 2 * time.Second}, rec, st
}

func sms(ids ...string) retry.Submission {
	return retry.Submission{
		Channel: retry.SMPP, Shortcode: "12345", IDs: ids, Save: true,
		Message: message.FromRaw("a@example.com", "1555@smpp.example.com", []byte("Subject: x\r\n\r\nhi\r\n")),
	}
}

func TestNegativeReceiptBouncesOnceAndDeletes(t *testing.T) {
	hooks := &fakeHooks{}
	core, rec, st := newCore(t, hooks)
	ctx := context.Background()
	key, err := core.Submitted(ctx, sms("abc"))
	if err != nil || key.String() != "MADR-12345/abc" {
		t.Fatalf("Submitted = %v, %v", key, err)
	}
	if _, err := st.Load(ctx, key); err != nil {
		t.Fatalf("stored copy missing: %v", err)
	}
	for i := 0; i < 2; i++ {
		res, err := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "abc", Status: "UNDELIV", Detail: "err:001"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && !res.Bounced {
			t.Fatalf("first negative receipt must bounce: %+v", res)
		}
		if i == 1 && (res.Bounced || !res.Duplicate) {
			t.Fatalf("a duplicate receipt must not bounce again: %+v", res)
		}
	}
	_, bounces := rec.Take()
	if len(bounces) != 1 || bounces[0].To != "a@example.com" {
		t.Fatalf("bounces = %+v, want one to a@example.com", bounces)
	}
	if _, err := st.Load(ctx, key); !errors.Is(err, mstore.ErrNotFound) {
		t.Fatalf("bounced message must be deleted, Load = %v", err)
	}
	if got := hooks.called(); len(got) != 2 || got[1] != "smpp_handle_DR_negative" {
		t.Fatalf("hooks called %v", got)
	}
}

func TestHookDecisionsSkipDefaults(t *testing.T) {
	hooks := &fakeHooks{returns: map[string]int{"smpp_store_submit": hook.MstoreDone, "smpp_handle_DR_negative": hook.SMPPDelivered}}
	core, rec, st := newCore(t, hooks)
	ctx := context.Background()
	key, _ := core.Submitted(ctx, sms("abc"))
	if _, err := st.Load(ctx, key); !errors.Is(err, mstore.ErrNotFound) {
		t.Fatalf("MSTORE_DONE must skip the default store, Load = %v", err)
	}
	res, _ := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: key.Bucket, ID: key.ID, Status: "EXPIRED"})
	if res.Bounced || res.Code != hook.SMPPDelivered {
		t.Fatalf("SMPP_DELIVERED must skip the bounce: %+v", res)
	}
	if _, b := rec.Take(); len(b) != 0 {
		t.Fatalf("bounces = %+v", b)
	}
}

func TestIntermediateAndUnknownStatusesCallNoHook(t *testing.T) {
	hooks := &fakeHooks{}
	core, _, _ := newCore(t, hooks)
	ctx := context.Background()
	core.Submitted(ctx, sms("abc"))
	for _, stat := range []string{"ENROUTE", "acceptd", "BUFFRED", "6", "WHATEVER"} {
		core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "abc", Status: stat})
	}
	for _, st := range []string{"Forwarded", "deferred", "Indeterminate"} {
		core.Receipt(ctx, retry.Receipt{Channel: retry.MM7, Bucket: "MADR-MM7", ID: "x", Status: st})
	}
	if got := hooks.called(); len(got) != 1 {
		t.Fatalf("only smpp_store_submit may run, got %v", got)
	}
}

func TestSegmentsMapToOneMessage(t *testing.T) {
	hooks := &fakeHooks{}
	core, _, _ := newCore(t, hooks)
	ctx := context.Background()
	core.Submitted(ctx, sms("s1", "s2", "s3"))
	for _, id := range []string{"s1", "s2"} {
		res, _ := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: id, Status: "DELIVRD"})
		if res.Key.ID != "s1" {
			t.Fatalf("segment %s must map to s1, got %s", id, res.Key)
		}
	}
	if got := hooks.called(); len(got) != 1 {
		t.Fatalf("positive hook must wait for every segment, called %v", got)
	}
	core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "s3", Status: "DELIVRD"})
	if got := hooks.called(); len(got) != 2 || got[1] != "smpp_handle_DR_positive" {
		t.Fatalf("positive hook once all segments delivered, called %v", got)
	}

	hooks2 := &fakeHooks{}
	core2, rec, _ := newCore(t, hooks2)
	core2.Submitted(ctx, sms("t1", "t2"))
	core2.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "t2", Status: "UNDELIV"})
	core2.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "t1", Status: "UNDELIV"})
	if got := hooks2.called(); len(got) != 2 || got[1] != "smpp_handle_DR_negative" {
		t.Fatalf("negative hook once, at the first failed segment; called %v", got)
	}
	if _, b := rec.Take(); len(b) != 1 {
		t.Fatalf("one bounce for a failed long SMS, got %d", len(b))
	}
}

func TestReceiptOvertakingTheSaveIsParked(t *testing.T) {
	hooks := &fakeHooks{block: make(chan struct{})}
	core, rec, _ := newCore(t, hooks)
	ctx := context.Background()
	done := make(chan error)
	go func() { _, err := core.Submitted(ctx, sms("fast")); done <- err }()
	time.Sleep(20 * time.Millisecond) // the submission is inside its hook
	got := make(chan retry.Result)
	go func() {
		res, _ := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "fast", Status: "REJECTD"})
		got <- res
	}()
	time.Sleep(20 * time.Millisecond)
	close(hooks.block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if res := <-got; !res.Bounced {
		t.Fatalf("the parked receipt must find the stored copy and bounce: %+v", res)
	}
	rec.Take()
}

func TestNullSenderIsNotBounced(t *testing.T) {
	core, rec, _ := newCore(t, &fakeHooks{})
	ctx := context.Background()
	s := sms("n1")
	s.Message.MailFrom = ""
	core.Submitted(ctx, s)
	res, err := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "n1", Status: "UNDELIV"})
	if err != nil || res.Bounced {
		t.Fatalf("res = %+v, %v", res, err)
	}
	if _, b := rec.Take(); len(b) != 0 {
		t.Fatalf("no bounce to the null sender, got %+v", b)
	}
}

func TestBuckets(t *testing.T) {
	for _, c := range []struct {
		ch   retry.Channel
		sc   string
		use  bool
		want string
	}{
		{retry.SMPP, "12345", true, "MADR-12345"},
		{retry.MM7, "4321", true, "MADR-4321"},
		{retry.MM7, "4321", false, "MADR-MM7"},
		{retry.MM7, "", true, "MADR-MM7"},
		{retry.SMPP, "", true, "MADR-SMPP"},
	} {
		if got := retry.Bucket(c.ch, c.sc, c.use); got != c.want {
			t.Errorf("Bucket(%s, %q, %v) = %s, want %s", c.ch, c.sc, c.use, got, c.want)
		}
	}
}

// scriptedHooks runs a Go function per hook, as a script would.
type scriptedHooks map[string]func(args ...any) int

func (s scriptedHooks) Dispatch(_ context.Context, hook string, args ...any) int {
	if f, ok := s[hook]; ok {
		return f(args...)
	}
	return 0
}

func TestBounceOwedWhenTheHookDeletesThenFails(t *testing.T) {
	var st mstore.Store
	hooks := scriptedHooks{"smpp_handle_DR_negative": func(args ...any) int {
		st.Delete(context.Background(), mstore.Key{Bucket: args[0].(string), ID: args[1].(string)})
		return 0 // what an error after the delete counts as
	}}
	core, rec, s := newCoreWith(t, hooks)
	st = s
	ctx := context.Background()
	core.Submitted(ctx, sms("d1"))
	res, err := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "d1", Status: "UNDELIV"})
	if err != nil || !res.Bounced {
		t.Fatalf("res = %+v, %v: the bounce is owed even though the hook deleted the copy", res, err)
	}
	if _, b := rec.Take(); len(b) != 1 {
		t.Fatalf("bounces = %d", len(b))
	}
}

type flakyBouncer struct {
	fails int
	got   int
}

func (f *flakyBouncer) Bounce(context.Context, spool.Bounce) error {
	if f.fails > 0 {
		f.fails--
		return errors.New("spool full")
	}
	f.got++
	return nil
}

func TestFailedBounceCanBeRetried(t *testing.T) {
	core, _, st := newCore(t, &fakeHooks{})
	fb := &flakyBouncer{fails: 1}
	core.Bouncer = fb
	ctx := context.Background()
	key, _ := core.Submitted(ctx, sms("f1"))
	r := retry.Receipt{Channel: retry.SMPP, Bucket: key.Bucket, ID: key.ID, Status: "UNDELIV"}
	if _, err := core.Receipt(ctx, r); err == nil {
		t.Fatal("a failed bounce must be reported")
	}
	if _, err := st.Load(ctx, key); err != nil {
		t.Fatalf("the copy must stay while the bounce is owed: %v", err)
	}
	if res, err := core.Receipt(ctx, r); err != nil || !res.Bounced || fb.got != 1 {
		t.Fatalf("retry: %+v, %v, bounces %d", res, err, fb.got)
	}
}

func TestConcurrentDuplicatesBounceOnce(t *testing.T) {
	slow := scriptedHooks{"smpp_handle_DR_negative": func(...any) int { time.Sleep(20 * time.Millisecond); return 0 }}
	core, rec, _ := newCoreWith(t, slow)
	ctx := context.Background()
	core.Submitted(ctx, sms("c1"))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "c1", Status: "UNDELIV"})
		}()
	}
	wg.Wait()
	if _, b := rec.Take(); len(b) != 1 {
		t.Fatalf("%d bounces for one message", len(b))
	}
}

func TestReceiptBeforeTheSubmissionIsParked(t *testing.T) {
	core, rec, _ := newCore(t, &fakeHooks{})
	ctx := context.Background()
	got := make(chan retry.Result)
	go func() {
		res, _ := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "early", Status: "UNDELIV"})
		got <- res
	}()
	time.Sleep(50 * time.Millisecond)
	if _, err := core.Submitted(ctx, sms("early")); err != nil {
		t.Fatal(err)
	}
	if res := <-got; !res.Bounced {
		t.Fatalf("the early receipt must wait for the copy and bounce it: %+v", res)
	}
	rec.Take()
}

func TestFailedSegmentBounceIsNotOvertakenByAPositiveSegment(t *testing.T) {
	var calls []string
	hooks := scriptedHooks{
		"smpp_handle_DR_negative": func(...any) int { calls = append(calls, "negative"); return 0 },
		"smpp_handle_DR_positive": func(...any) int { calls = append(calls, "positive"); return 0 },
	}
	core, _, _ := newCoreWith(t, hooks)
	fb := &flakyBouncer{fails: 1}
	core.Bouncer = fb
	ctx := context.Background()
	core.Submitted(ctx, sms("p1", "p2"))
	if _, err := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "p1", Status: "UNDELIV"}); err == nil {
		t.Fatal("the failed bounce must be reported")
	}
	res, err := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "p2", Status: "DELIVRD"})
	if err != nil || res.Outcome != retry.Negative || !res.Bounced {
		t.Fatalf("a receipt after a failed negative decision must retry it: %+v, %v", res, err)
	}
	if fb.got != 1 || len(calls) != 2 || calls[1] != "negative" {
		t.Fatalf("bounces %d, hook calls %v", fb.got, calls)
	}
}

// deleteFails is a store whose Delete always fails.
type deleteFails struct{ mstore.Store }

func (deleteFails) Delete(context.Context, mstore.Key) error { return errors.New("disk on fire") }

func TestBounceIsFinalEvenWhenTheDeleteFails(t *testing.T) {
	core, rec, st := newCore(t, &fakeHooks{})
	core.Store = deleteFails{st}
	ctx := context.Background()
	core.Submitted(ctx, sms("x1"))
	r := retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "x1", Status: "UNDELIV"}
	if res, err := core.Receipt(ctx, r); err != nil || !res.Bounced {
		t.Fatalf("res = %+v, %v", res, err)
	}
	if res, _ := core.Receipt(ctx, r); !res.Duplicate {
		t.Fatalf("the repeated receipt must be a duplicate: %+v", res)
	}
	if _, b := rec.Take(); len(b) != 1 {
		t.Fatalf("%d bounces, want 1", len(b))
	}
}

func TestSegmentsSurviveARestart(t *testing.T) {
	hooks := &fakeHooks{}
	core, rec, st := newCore(t, hooks)
	ctx := context.Background()
	core.Submitted(ctx, sms("q1", "q2", "q3"))
	if r, err := st.Load(ctx, mstore.Key{Bucket: "MADR-12345", ID: "q2"}); err != nil || r.Context[retry.AliasOf] != "q1" {
		t.Fatalf("alias of q2: %+v, %v", r, err)
	}

	// A fresh core on the same store: what the first one kept in memory is gone.
	hooks2 := &fakeHooks{}
	restarted := &retry.Core{Store: st, Hooks: hooks2, Bouncer: rec, ParkTimeout: -1}
	res, _ := restarted.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "q1", Status: "DELIVRD"})
	if len(hooks2.called()) != 0 {
		t.Fatalf("a positive segment must not decide alone after a restart: %+v, hooks %v", res, hooks2.called())
	}
	res, err := restarted.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "q3", Status: "UNDELIV"})
	if err != nil || res.Key.ID != "q1" || !res.Bounced {
		t.Fatalf("a failed segment after a restart must bounce its message: %+v, %v", res, err)
	}
	if got := hooks2.called(); len(got) != 1 || got[0] != "smpp_handle_DR_negative" {
		t.Fatalf("hooks %v", got)
	}
	for _, id := range []string{"q1", "q2", "q3"} {
		if _, err := st.Load(ctx, mstore.Key{Bucket: "MADR-12345", ID: id}); !errors.Is(err, mstore.ErrNotFound) {
			t.Errorf("%s must be gone once the message is bounced: %v", id, err)
		}
	}
	if _, b := rec.Take(); len(b) != 1 {
		t.Fatalf("%d bounces", len(b))
	}
}
