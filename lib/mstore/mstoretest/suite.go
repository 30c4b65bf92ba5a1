package mstoretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/mstore"
)

// Start is where every suite clock begins.
var Start = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// Opener opens a fresh, empty-looking store for one subtest. The store must
// take clock.Now as its clock and mstore.DefaultRetention as its retention.
// The suite closes the store; Close must be safe to call twice.
type Opener func(t *testing.T, clock *Clock) mstore.Store

// Run runs the behaviour suite against the stores open returns. Keys carry a
// per-run nonce, so a shared real server holding older runs' data is fine.
func Run(t *testing.T, open Opener) {
	s := &suite{open: open, nonce: rand.Text()[:8]}
	for _, c := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"SaveLoad", s.saveLoad},
		{"Defaults", s.defaults},
		{"Overwrite", s.overwrite},
		{"Missing", s.missing},
		{"Delete", s.delete},
		{"Keys", s.keys},
		{"Expiry", s.expiry},
		{"SaveExpired", s.saveExpired},
		{"TimeRange", s.timeRange},
		{"ExpiryEdges", s.expiryEdges},
		{"Concurrency", s.concurrency},
		{"LargeBody", s.largeBody},
		{"Isolation", s.isolation},
		{"Canceled", s.canceled},
		{"InvalidKey", s.invalidKey},
		{"Closed", s.closed},
	} {
		t.Run(c.name, c.fn)
	}
}

type suite struct {
	open  Opener
	nonce string
}

func (s *suite) store(t *testing.T) (mstore.Store, *Clock) {
	clock := NewClock(Start)
	st := s.open(t, clock)
	t.Cleanup(func() { st.Close() })
	return st, clock
}

func (s *suite) key(bucket, id string) mstore.Key {
	return mstore.Key{Bucket: bucket, ID: s.nonce + "-" + id}
}

func full(k mstore.Key, body string) *mstore.Record {
	return &mstore.Record{
		Key:         k,
		MailFrom:    "alice@example.com",
		RcptTo:      "15551234@smpp.example.com",
		Raw:         []byte("Subject: test\r\n\r\n" + body),
		Context:     map[string]string{"route": "smsc-a", "nul": "a\x00b"},
		ConnContext: map[string]string{"peer": "10.0.0.2:2775"},
		Origin: mstore.Origin{
			Channel: "smpp", Binding: "smsc_a", Domain: "smpp.example.com",
			Shortcode: "12345", Segments: []string{"s1", "s2", "s3"},
		},
		Created: Start.Add(-time.Minute),
		Expires: Start.Add(time.Hour),
	}
}

func save(t *testing.T, st mstore.Store, r *mstore.Record) {
	t.Helper()
	if err := st.Save(context.Background(), r); err != nil {
		t.Fatalf("save %s: %v", r.Key, err)
	}
}

func load(t *testing.T, st mstore.Store, k mstore.Key) *mstore.Record {
	t.Helper()
	r, err := st.Load(context.Background(), k)
	if err != nil {
		t.Fatalf("load %s: %v", k, err)
	}
	return r
}

// same compares records, times by instant and nil maps/slices as empty.
func same(t *testing.T, got, want *mstore.Record) {
	t.Helper()
	if got.Key != want.Key || got.MailFrom != want.MailFrom || got.RcptTo != want.RcptTo ||
		!bytes.Equal(got.Raw, want.Raw) || !sameMap(got.Context, want.Context) ||
		!sameMap(got.ConnContext, want.ConnContext) || !sameOrigin(got.Origin, want.Origin) ||
		!got.Created.Equal(want.Created) || !got.Expires.Equal(want.Expires) || got.SegmentOf != want.SegmentOf ||
		got.AliasBucket != want.AliasBucket {
		t.Fatalf("loaded %s differs:\n got %+v\nwant %+v", want.Key, brief(got), brief(want))
	}
}

func sameMap(a, b map[string]string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func sameOrigin(a, b mstore.Origin) bool {
	if len(a.Segments) == 0 && len(b.Segments) == 0 {
		a.Segments, b.Segments = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func brief(r *mstore.Record) string {
	c := *r
	c.Raw = nil
	return fmt.Sprintf("%+v raw=%d bytes", c, len(r.Raw))
}

// notFound checks err is ErrNotFound inside an *mstore.Error naming op and k.
func notFound(t *testing.T, err error, op string, k mstore.Key) {
	t.Helper()
	if !errors.Is(err, mstore.ErrNotFound) {
		t.Fatalf("%s %s: %v, want ErrNotFound", op, k, err)
	}
	var me *mstore.Error
	if !errors.As(err, &me) || me.Op != op || me.Key != k || me.Backend == "" {
		t.Fatalf("%s %s: %#v is not an *mstore.Error naming op, key and backend", op, k, err)
	}
}

func (s *suite) saveLoad(t *testing.T) {
	st, _ := s.store(t)
	r := full(s.key("MADR-12345", "abc"), "hello")
	save(t, st, r)
	same(t, load(t, st, r.Key), r)
	// A segment alias (FORMAT.md, "Two kinds of record") comes back as one.
	alias := &mstore.Record{Key: s.key("MADR-12345", "abc-2"), Origin: r.Origin, SegmentOf: r.ID,
		Created: r.Created, Expires: r.Expires}
	save(t, st, alias)
	same(t, load(t, st, alias.Key), alias)
}

func (s *suite) defaults(t *testing.T) {
	st, clock := s.store(t)
	r := &mstore.Record{Key: s.key("MADR-MM7", "defaults"), Raw: []byte("x")}
	save(t, st, r)
	if !r.Created.IsZero() || !r.Expires.IsZero() {
		t.Fatal("Save changed the caller's record")
	}
	got := load(t, st, r.Key)
	want := *r
	want.Created, want.Expires = Start, Start.Add(mstore.DefaultRetention)
	same(t, got, &want)

	clock.Advance(mstore.DefaultRetention - time.Second)
	load(t, st, r.Key)
	clock.Advance(2 * time.Second)
	_, err := st.Load(context.Background(), r.Key)
	notFound(t, err, "load", r.Key)
}

func (s *suite) overwrite(t *testing.T) {
	st, _ := s.store(t)
	k := s.key("MADR-12345", "over")
	save(t, st, full(k, "first"))
	second := full(k, "second")
	second.Origin.Segments = nil
	second.Context = nil
	save(t, st, second)
	same(t, load(t, st, k), second)
	if err := st.Delete(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	_, err := st.Load(context.Background(), k)
	notFound(t, err, "load", k)
}

func (s *suite) missing(t *testing.T) {
	st, _ := s.store(t)
	k := s.key("MADR-12345", "never-stored")
	_, err := st.Load(context.Background(), k)
	notFound(t, err, "load", k)
	notFound(t, st.Delete(context.Background(), k), "delete", k)
	save(t, st, full(s.key("MADR-12345", "other"), "x"))
	_, err = st.Load(context.Background(), mstore.Key{Bucket: "MADR-54321", ID: s.key("", "other").ID})
	if !errors.Is(err, mstore.ErrNotFound) {
		t.Fatalf("same id in another bucket: %v, want ErrNotFound", err)
	}
}

func (s *suite) delete(t *testing.T) {
	st, _ := s.store(t)
	k := s.key("MADR-12345", "del")
	save(t, st, full(k, "x"))
	if err := st.Delete(context.Background(), k); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err := st.Load(context.Background(), k)
	notFound(t, err, "load", k)
	notFound(t, st.Delete(context.Background(), k), "delete", k)
	save(t, st, full(k, "again"))
	same(t, load(t, st, k), full(k, "again"))
}

// keys stores ids and buckets that break naive URL, path or separator
// handling; "a/b"+"c" and "a"+"b/c" must stay two records.
func (s *suite) keys(t *testing.T) {
	st, _ := s.store(t)
	n := s.nonce
	keys := []mstore.Key{
		{Bucket: "MADR-12345", ID: n + "1a2b3c"},
		{Bucket: "MADR-MM7", ID: n + "MM7:0001/ab"},
		{Bucket: "MADR-12345", ID: n + ":colon:"},
		{Bucket: "MADR-12345", ID: n + "/leading/and/trailing/"},
		{Bucket: "MADR-12345", ID: n + "a/b"},
		{Bucket: "MADR-12345/a", ID: n + "b"},
		{Bucket: "MADR-12345", ID: n + "../../etc"},
		{Bucket: "MADR-12345", ID: n + "?q=1&r=2#frag"},
		{Bucket: "MADR-12345", ID: n + "100% sure+plus space"},
		{Bucket: "MADR-12345", ID: n + "ünï\u2603"},
		{Bucket: "MADR-12345", ID: n + "nul\x00ff\xff"},
		{Bucket: "MADR 1", ID: n + "."},
		{Bucket: "MADR-12345", ID: n + "\\back\\slash"},
	}
	for i, k := range keys {
		save(t, st, full(k, fmt.Sprint("body ", i)))
	}
	for i, k := range keys {
		same(t, load(t, st, k), full(k, fmt.Sprint("body ", i)))
	}
	for _, k := range keys {
		if err := st.Delete(context.Background(), k); err != nil {
			t.Fatalf("delete %q: %v", k, err)
		}
		_, err := st.Load(context.Background(), k)
		notFound(t, err, "load", k)
	}
}

func (s *suite) expiry(t *testing.T) {
	st, clock := s.store(t)
	sw, sweeps := st.(mstore.Sweeper)
	sweep := func(want int) {
		t.Helper()
		if !sweeps {
			return
		}
		n, err := sw.Sweep(context.Background())
		if err != nil || n != want {
			t.Fatalf("sweep removed %d (%v), want %d", n, err, want)
		}
	}
	hour, twoHours := full(s.key("MADR-12345", "1h"), "a"), full(s.key("MADR-12345", "2h"), "b")
	twoHours.Expires = Start.Add(2 * time.Hour)
	retained := &mstore.Record{Key: s.key("MADR-12345", "retained")}
	for _, r := range []*mstore.Record{hour, twoHours, retained} {
		save(t, st, r)
	}
	sweep(0)
	clock.Advance(time.Hour - time.Second)
	load(t, st, hour.Key)
	clock.Advance(time.Second)
	_, err := st.Load(context.Background(), hour.Key)
	notFound(t, err, "load", hour.Key)
	load(t, st, twoHours.Key)
	sweep(1)
	clock.Advance(time.Hour)
	notFound(t, st.Delete(context.Background(), twoHours.Key), "delete", twoHours.Key)
	load(t, st, retained.Key)
	sweep(0)
	clock.Advance(mstore.DefaultRetention)
	_, err = st.Load(context.Background(), retained.Key)
	notFound(t, err, "load", retained.Key)
	sweep(1)
	save(t, st, hour)
	_, err = st.Load(context.Background(), hour.Key)
	notFound(t, err, "load", hour.Key)
	fresh := full(hour.Key, "fresh")
	fresh.Expires = time.Time{}
	save(t, st, fresh)
	load(t, st, hour.Key)
}

func (s *suite) saveExpired(t *testing.T) {
	st, _ := s.store(t)
	r := full(s.key("MADR-12345", "past"), "x")
	r.Expires = Start.Add(-time.Second)
	save(t, st, r)
	_, err := st.Load(context.Background(), r.Key)
	notFound(t, err, "load", r.Key)
}

// timeRange checks Save refuses a time the record format cannot hold rather
// than storing a record every later Load calls corrupt, and keeps the last
// storable second.
func (s *suite) timeRange(t *testing.T) {
	st, _ := s.store(t)
	k := s.key("MADR-12345", "far")
	for _, exp := range []time.Time{time.Unix(math.MaxInt64, 0), time.Unix(1<<62, 0)} {
		r := full(k, "x")
		r.Expires = exp
		err := st.Save(context.Background(), r)
		if err == nil || errors.Is(err, mstore.ErrCorrupt) || !strings.Contains(err.Error(), "expires") {
			t.Fatalf("save with expiry %d s: %v, want an error naming the field", exp.Unix(), err)
		}
		_, err = st.Load(context.Background(), k)
		notFound(t, err, "load", k)
	}
	r := full(k, "x")
	r.Expires = time.Unix(mstore.MaxUnix, 0)
	save(t, st, r)
	same(t, load(t, st, k), r)
}

// expiryEdges checks expiries at the ends of the nanosecond range backends
// compare in: Load and Delete agree that a record expiring at or before
// 1970 is gone and one expiring after 2262 is live.
func (s *suite) expiryEdges(t *testing.T) {
	st, _ := s.store(t)
	for i, c := range []struct {
		expires time.Time
		live    bool
	}{
		{time.Unix(0, 0), false},
		{time.Unix(-86400, 0), false},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Unix(mstore.MaxUnix, 0), true},
	} {
		r := full(s.key("MADR-12345", fmt.Sprint("edge-", i)), "x")
		r.Expires = c.expires
		save(t, st, r)
		_, err := st.Load(context.Background(), r.Key)
		if c.live != (err == nil) {
			t.Fatalf("load of a record expiring %v: %v", c.expires, err)
		}
		err = st.Delete(context.Background(), r.Key)
		if c.live != (err == nil) {
			t.Fatalf("delete of a record expiring %v: %v", c.expires, err)
		}
	}
}

func (s *suite) concurrency(t *testing.T) {
	st, _ := s.store(t)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				k := s.key(fmt.Sprint("MADR-", w), fmt.Sprint(i))
				r := full(k, fmt.Sprint(w, "/", i))
				if err := st.Save(context.Background(), r); err != nil {
					errs <- err
					return
				}
				got, err := st.Load(context.Background(), k)
				if err != nil || !bytes.Equal(got.Raw, r.Raw) {
					errs <- fmt.Errorf("load %s after save: %v", k, err)
					return
				}
				if i%2 == 0 {
					if err := st.Delete(context.Background(), k); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for w := range writers {
		for i := range each {
			k := s.key(fmt.Sprint("MADR-", w), fmt.Sprint(i))
			_, err := st.Load(context.Background(), k)
			if i%2 == 0 {
				notFound(t, err, "load", k)
			} else if err != nil {
				t.Fatalf("load %s: %v", k, err)
			}
		}
	}
}

func (s *suite) largeBody(t *testing.T) {
	st, _ := s.store(t)
	for _, size := range []int{3 << 20, 8 << 20} {
		r := full(s.key("MADR-MM7", fmt.Sprint("large-", size)), "")
		r.Raw = make([]byte, size)
		rand.Read(r.Raw)
		save(t, st, r)
		same(t, load(t, st, r.Key), r)
	}
}

func (s *suite) isolation(t *testing.T) {
	st, _ := s.store(t)
	k := s.key("MADR-12345", "iso")
	r := full(k, "original")
	save(t, st, r)
	r.Raw[0] = 'X'
	r.Context["route"] = "changed"
	r.Origin.Segments[0] = "changed"
	got := load(t, st, k)
	same(t, got, full(k, "original"))
	got.Raw[0] = 'Y'
	got.Context["route"] = "changed"
	same(t, load(t, st, k), full(k, "original"))
}

func (s *suite) canceled(t *testing.T) {
	st, _ := s.store(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	k := s.key("MADR-12345", "canceled")
	if err := st.Save(ctx, full(k, "x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("save with a canceled context: %v, want context.Canceled", err)
	}
	_, err := st.Load(context.Background(), k)
	notFound(t, err, "load", k)
	if _, err := st.Load(ctx, k); !errors.Is(err, context.Canceled) {
		t.Fatalf("load with a canceled context: %v, want context.Canceled", err)
	}
}

func (s *suite) invalidKey(t *testing.T) {
	st, _ := s.store(t)
	for _, k := range []mstore.Key{{Bucket: "MADR-12345"}, {ID: "abc"}} {
		if err := st.Save(context.Background(), &mstore.Record{Key: k}); !errors.Is(err, mstore.ErrInvalidKey) {
			t.Fatalf("save %q: %v, want ErrInvalidKey", k, err)
		}
		if _, err := st.Load(context.Background(), k); !errors.Is(err, mstore.ErrInvalidKey) {
			t.Fatalf("load %q: %v, want ErrInvalidKey", k, err)
		}
		if err := st.Delete(context.Background(), k); !errors.Is(err, mstore.ErrInvalidKey) {
			t.Fatalf("delete %q: %v, want ErrInvalidKey", k, err)
		}
	}
}

func (s *suite) closed(t *testing.T) {
	st, _ := s.store(t)
	k := s.key("MADR-12345", "closed")
	save(t, st, full(k, "x"))
	if err := st.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := st.Save(context.Background(), full(k, "y")); !errors.Is(err, mstore.ErrClosed) {
		t.Fatalf("save after close: %v, want ErrClosed", err)
	}
	if _, err := st.Load(context.Background(), k); !errors.Is(err, mstore.ErrClosed) {
		t.Fatalf("load after close: %v, want ErrClosed", err)
	}
	if err := st.Delete(context.Background(), k); !errors.Is(err, mstore.ErrClosed) {
		t.Fatalf("delete after close: %v, want ErrClosed", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}
