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
	// When block is set, smpp_store_submit signals entered and waits on it.
	block, entered chan struct{}
}

func (f *fakeHooks) Dispatch(_ context.Context, hook string, args ...any) int {
	if hook == "smpp_store_submit" && f.block != nil {
		f.entered <- struct{}{}
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
	core, rec, st, _ := newClockedCore(t, hooks)
	return core, rec, st
}

func newClockedCore(t *testing.T, hooks retry.Hooks) (*retry.Core, *spool.Recorder, mstore.Store, *clock) {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &spool.Recorder{}
	clk := newClock()
	return &retry.Core{Store: st, Hooks: hooks, Bouncer: rec, ParkTimeout: 2 * time.Second, Now: clk.Now, After: clk.After}, rec, st, clk
}

// clock is the core's clock in tests: time moves only when advanced, and
// every timer the core starts is announced on armed, so a test knows a
// receipt is parked without sleeping.
type clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	armed   chan time.Duration
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), armed: make(chan time.Duration, 64)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	w := waiter{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	c.armed <- d
	return w.ch
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// submit submits and fails the test on an error.
func submit(t *testing.T, core *retry.Core, s retry.Submission) mstore.Key {
	t.Helper()
	key, err := core.Submitted(context.Background(), s)
	if err != nil {
		t.Fatalf("Submitted %v: %v", s.IDs, err)
	}
	return key
}

// receipt hands a receipt over and fails the test on an error.
func receipt(t *testing.T, core *retry.Core, ch retry.Channel, bucket, id, status string) retry.Result {
	t.Helper()
	res, err := core.Receipt(context.Background(), retry.Receipt{Channel: ch, Bucket: bucket, ID: id, Status: status})
	if err != nil {
		t.Fatalf("Receipt %s/%s %s: %v", bucket, id, status, err)
	}
	return res
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
	if _, err := mstore.LoadMessage(ctx, st, key); !errors.Is(err, mstore.ErrNotFound) {
		t.Fatalf("bounced message must be deleted, LoadMessage = %v", err)
	}
	if m, err := st.Load(ctx, key); err != nil || !m.IsMarker() || m.Outcome != "negative" || len(m.Raw) != 0 {
		t.Fatalf("a receipt marker must replace the bounced message: %+v, %v", m, err)
	}
	if got := hooks.called(); len(got) != 2 || got[1] != "smpp_handle_DR_negative" {
		t.Fatalf("hooks called %v", got)
	}
}

func TestHookDecisionsSkipDefaults(t *testing.T) {
	hooks := &fakeHooks{returns: map[string]int{"smpp_store_submit": hook.MstoreDone, "smpp_handle_DR_negative": hook.SMPPDelivered}}
	core, rec, st := newCore(t, hooks)
	ctx := context.Background()
	key := submit(t, core, sms("abc"))
	if _, err := st.Load(ctx, key); !errors.Is(err, mstore.ErrNotFound) {
		t.Fatalf("MSTORE_DONE must skip the default store, Load = %v", err)
	}
	res := receipt(t, core, retry.SMPP, key.Bucket, key.ID, "EXPIRED")
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
	submit(t, core, sms("abc"))
	for _, stat := range []string{"ENROUTE", "acceptd", "BUFFRED", "6", "WHATEVER"} {
		receipt(t, core, retry.SMPP, "MADR-12345", "abc", stat)
	}
	for _, st := range []string{"Forwarded", "deferred", "Indeterminate"} {
		receipt(t, core, retry.MM7, "MADR-MM7", "x", st)
	}
	if got := hooks.called(); len(got) != 1 {
		t.Fatalf("only smpp_store_submit may run, got %v", got)
	}
}

func TestSegmentsMapToOneMessage(t *testing.T) {
	hooks := &fakeHooks{}
	core, _, _ := newCore(t, hooks)
	submit(t, core, sms("s1", "s2", "s3"))
	for _, id := range []string{"s1", "s2"} {
		res := receipt(t, core, retry.SMPP, "MADR-12345", id, "DELIVRD")
		if res.Key.ID != "s1" {
			t.Fatalf("segment %s must map to s1, got %s", id, res.Key)
		}
	}
	if got := hooks.called(); len(got) != 1 {
		t.Fatalf("positive hook must wait for every segment, called %v", got)
	}
	receipt(t, core, retry.SMPP, "MADR-12345", "s3", "DELIVRD")
	if got := hooks.called(); len(got) != 2 || got[1] != "smpp_handle_DR_positive" {
		t.Fatalf("positive hook once all segments delivered, called %v", got)
	}

	hooks2 := &fakeHooks{}
	core2, rec, _ := newCore(t, hooks2)
	submit(t, core2, sms("t1", "t2"))
	receipt(t, core2, retry.SMPP, "MADR-12345", "t2", "UNDELIV")
	receipt(t, core2, retry.SMPP, "MADR-12345", "t1", "UNDELIV")
	if got := hooks2.called(); len(got) != 2 || got[1] != "smpp_handle_DR_negative" {
		t.Fatalf("negative hook once, at the first failed segment; called %v", got)
	}
	if _, b := rec.Take(); len(b) != 1 {
		t.Fatalf("one bounce for a failed long SMS, got %d", len(b))
	}
}

func TestReceiptOvertakingTheSaveIsParked(t *testing.T) {
	hooks := &fakeHooks{block: make(chan struct{}), entered: make(chan struct{})}
	core, rec, _, clk := newClockedCore(t, hooks)
	ctx := context.Background()
	done := make(chan error)
	go func() { _, err := core.Submitted(ctx, sms("fast")); done <- err }()
	<-hooks.entered // the submission is inside its store hook
	type answer struct {
		res retry.Result
		err error
	}
	got := make(chan answer)
	go func() {
		res, err := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "fast", Status: "REJECTD"})
		got <- answer{res, err}
	}()
	if d := <-clk.armed; d != 2*time.Second {
		t.Fatalf("the receipt waits for the save up to the park timeout, armed %v", d)
	}
	close(hooks.block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if a := <-got; a.err != nil || !a.res.Bounced {
		t.Fatalf("the parked receipt must find the stored copy and bounce: %+v, %v", a.res, a.err)
	}
	if _, b := rec.Take(); len(b) != 1 {
		t.Fatalf("%d bounces", len(b))
	}
}

func TestNullSenderIsNotBounced(t *testing.T) {
	core, rec, _ := newCore(t, &fakeHooks{})
	ctx := context.Background()
	s := sms("n1")
	s.Message.MailFrom = ""
	submit(t, core, s)
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
	submit(t, core, sms("d1"))
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
	key := submit(t, core, sms("f1"))
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
	entered, release := make(chan struct{}), make(chan struct{})
	slow := scriptedHooks{"smpp_handle_DR_negative": func(...any) int { entered <- struct{}{}; <-release; return 0 }}
	core, rec, _ := newCoreWith(t, slow)
	ctx := context.Background()
	if _, err := core.Submitted(ctx, sms("c1")); err != nil {
		t.Fatal(err)
	}
	r := retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "c1", Status: "UNDELIV"}
	first := make(chan error)
	go func() {
		res, err := core.Receipt(ctx, r)
		if err == nil && !res.Bounced {
			err = errors.New("the first receipt did not bounce")
		}
		first <- err
	}()
	<-entered // the first receipt is inside its hook
	for i := 0; i < 3; i++ {
		res, err := core.Receipt(ctx, r)
		if err != nil || !res.Duplicate || res.Bounced {
			t.Fatalf("a receipt arriving while the first is handled: %+v, %v", res, err)
		}
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, b := rec.Take(); len(b) != 1 {
		t.Fatalf("%d bounces for one message", len(b))
	}
}

func TestReceiptBeforeTheSubmissionIsParked(t *testing.T) {
	core, rec, _, clk := newClockedCore(t, &fakeHooks{})
	ctx := context.Background()
	type answer struct {
		res retry.Result
		err error
	}
	got := make(chan answer)
	go func() {
		res, err := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "early", Status: "UNDELIV"})
		got <- answer{res, err}
	}()
	<-clk.armed // not in the store: the receipt polls
	if _, err := core.Submitted(ctx, sms("early")); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Second)
	if a := <-got; a.err != nil || !a.res.Bounced {
		t.Fatalf("the early receipt must wait for the copy and bounce it: %+v, %v", a.res, a.err)
	}
	if _, b := rec.Take(); len(b) != 1 {
		t.Fatalf("%d bounces", len(b))
	}
}

func TestParkedReceiptGivesUpAtTheTimeout(t *testing.T) {
	hooks := &fakeHooks{}
	core, rec, _, clk := newClockedCore(t, hooks)
	ctx := context.Background()
	got := make(chan error)
	go func() {
		res, err := core.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "never", Status: "UNDELIV"})
		if err == nil && res.Bounced {
			err = errors.New("bounced a message nobody stored")
		}
		got <- err
	}()
	for waited := time.Duration(0); waited < 2*time.Second; {
		d := <-clk.armed
		clk.advance(d)
		waited += d
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if calls := hooks.called(); len(calls) != 1 || calls[0] != "smpp_handle_DR_negative" {
		t.Fatalf("after the park timeout the hooks run without a copy: %v", calls)
	}
	if _, b := rec.Take(); len(b) != 0 {
		t.Fatalf("bounces %+v", b)
	}
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
	submit(t, core, sms("p1", "p2"))
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
	submit(t, core, sms("x1"))
	r := retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "x1", Status: "UNDELIV"}
	if res, err := core.Receipt(ctx, r); err != nil || !res.Bounced {
		t.Fatalf("res = %+v, %v", res, err)
	}
	if res, err := core.Receipt(ctx, r); err != nil || !res.Duplicate {
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
	submit(t, core, sms("q1", "q2", "q3"))
	if r, err := st.Load(ctx, mstore.Key{Bucket: "MADR-12345", ID: "q2"}); err != nil || r.SegmentOf != "q1" || r.Raw != nil || r.MailFrom != "" {
		t.Fatalf("alias of q2: %+v, %v", r, err)
	}

	// A fresh core on the same store: what the first one kept in memory is gone.
	hooks2 := &fakeHooks{}
	restarted := &retry.Core{Store: st, Hooks: hooks2, Bouncer: rec, ParkTimeout: -1}
	res := receipt(t, restarted, retry.SMPP, "MADR-12345", "q1", "DELIVRD")
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
		k := mstore.Key{Bucket: "MADR-12345", ID: id}
		if _, err := mstore.LoadMessage(ctx, st, k); !errors.Is(err, mstore.ErrNotFound) {
			t.Errorf("%s must be gone once the message is bounced: %v", id, err)
		}
		if m, err := st.Load(ctx, k); err != nil || !m.IsMarker() {
			t.Errorf("%s must hold a receipt marker: %+v, %v", id, m, err)
		}
	}
	if _, b := rec.Take(); len(b) != 1 {
		t.Fatalf("%d bounces", len(b))
	}
}

// A store hook that keeps the message elsewhere (MSTORE_DONE) gets no
// segment aliases either: aliases exist only beside a stored message.
func TestNoAliasesWithoutTheMessage(t *testing.T) {
	core, _, st := newCore(t, &fakeHooks{returns: map[string]int{"smpp_store_submit": hook.MstoreDone}})
	submit(t, core, sms("m1", "m2", "m3"))
	for _, id := range []string{"m1", "m2", "m3"} {
		if _, err := st.Load(context.Background(), mstore.Key{Bucket: "MADR-12345", ID: id}); !errors.Is(err, mstore.ErrNotFound) {
			t.Errorf("%s stored after MSTORE_DONE: %v", id, err)
		}
	}
}

// saveFails is a store that refuses to save one key.
type saveFails struct {
	mstore.Store
	key mstore.Key
}

func (s saveFails) Save(ctx context.Context, r *mstore.Record) error {
	if r.Key == s.key {
		return errors.New("disk full")
	}
	return s.Store.Save(ctx, r)
}

func TestAFailedAliasFailsTheStoring(t *testing.T) {
	core, _, st := newCore(t, &fakeHooks{})
	core.Store = saveFails{st, mstore.Key{Bucket: "MADR-12345", ID: "a2"}}
	_, err := core.Submitted(context.Background(), sms("a1", "a2"))
	if err == nil || err.Error() != "storing segment alias of MADR-12345/a1, MADR-12345/a2: disk full" {
		t.Fatalf("Submitted = %v", err)
	}
}
