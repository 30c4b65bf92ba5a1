package mstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
	"msyshost/lib/msys/core"
	msysmstore "msyshost/lib/msys/mstore"
	"msyshost/lib/spool"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

func TestLua(t *testing.T) {
	st, err := embedded.Open(filepath.Join(t.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// A long SMS as the retry core stores it: the message under its first
	// segment id, an alias under each further one.
	origin := mstore.Origin{Channel: "smpp", Shortcode: "12345", Segments: []string{"seg1", "seg2"}}
	for _, r := range []*mstore.Record{
		{Key: mstore.Key{Bucket: "MADR-12345", ID: "seg1"}, MailFrom: "a@example.com", RcptTo: "1555@smpp.example.com", Raw: []byte("Subject: long\r\n\r\npart one, part two\r\n"), Origin: origin},
		{Key: mstore.Key{Bucket: "MADR-12345", ID: "seg2"}, Origin: origin, SegmentOf: "seg1"},
		// What a handled receipt leaves: a marker where its message was.
		{Key: mstore.Key{Bucket: "MADR-12345", ID: "done1"}, Origin: mstore.Origin{Channel: "smpp"}, Marker: true,
			Handled: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC), Outcome: "positive"},
	} {
		if err := st.Save(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	rec := &spool.Recorder{}
	svc := &luahost.Services{}
	msysmstore.Store.Set(svc, st)
	core.Injector.Set(svc, rec)
	luatest.Run(t, "api_test.lua", svc)
	if m, err := st.Load(context.Background(), mstore.Key{Bucket: "MADR-12345", ID: "done1"}); err != nil || !m.IsMarker() {
		t.Fatalf("msys.mstore.delete removed a receipt marker: %+v, %v", m, err)
	}
	injected, _ := rec.Take()
	if len(injected) != 1 || injected[0].Context["marker"] != "injected-once" {
		t.Fatalf("msys.mstore.inject must hand the message to the spool; got %+v", injected)
	}
}

// downStore fails every operation, as a store whose backend is unreachable.
type downStore struct{}

func (downStore) Save(context.Context, *mstore.Record) error { return errors.New("riak unreachable") }
func (downStore) Load(context.Context, mstore.Key) (*mstore.Record, error) {
	return nil, errors.New("riak unreachable")
}
func (downStore) Delete(context.Context, mstore.Key) error { return errors.New("riak unreachable") }
func (downStore) Close() error                             { return nil }

// TestStoreFailures: a store failure is a runtime failure (nil, "error"),
// and a host without a store or spool says so.
func TestStoreFailures(t *testing.T) {
	luatest.Run(t, "store_down_test.lua", msysmstore.Store.Set(&luahost.Services{}, downStore{}))
	luatest.Run(t, "store_none_test.lua", nil)
}
