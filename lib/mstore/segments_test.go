package mstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
)

func TestLoadAndDeleteFollowSegmentAliases(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	origin := mstore.Origin{Channel: "smpp", Segments: []string{"s1", "s2", "s3"}}
	save := func(r *mstore.Record) {
		if err := st.Save(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	save(&mstore.Record{Key: mstore.Key{Bucket: "B", ID: "s1"}, MailFrom: "a@example.com", Raw: []byte("x"), Origin: origin})
	save(&mstore.Record{Key: mstore.Key{Bucket: "B", ID: "s2"}, Origin: origin, SegmentOf: "s1"})
	save(&mstore.Record{Key: mstore.Key{Bucket: "B", ID: "s3"}, Origin: origin, SegmentOf: "s1"})

	msg, err := mstore.LoadMessage(ctx, st, mstore.Key{Bucket: "B", ID: "s3"})
	if err != nil || msg.ID != "s1" || msg.MailFrom != "a@example.com" {
		t.Fatalf("LoadMessage of a segment = %+v, %v", msg, err)
	}
	k, err := mstore.DeleteMessage(ctx, st, mstore.Key{Bucket: "B", ID: "s2"})
	if err != nil || k.ID != "s1" {
		t.Fatalf("DeleteMessage of a segment = %v, %v", k, err)
	}
	for _, id := range []string{"s1", "s2", "s3"} {
		if _, err := st.Load(ctx, mstore.Key{Bucket: "B", ID: id}); !errors.Is(err, mstore.ErrNotFound) {
			t.Errorf("%s left behind: %v", id, err)
		}
	}
	if _, err := mstore.DeleteMessage(ctx, st, mstore.Key{Bucket: "B", ID: "s1"}); !errors.Is(err, mstore.ErrNotFound) {
		t.Errorf("second delete = %v", err)
	}
	// An alias whose message is gone says so.
	save(&mstore.Record{Key: mstore.Key{Bucket: "B", ID: "o2"}, Origin: origin, SegmentOf: "o1"})
	_, err = mstore.LoadMessage(ctx, st, mstore.Key{Bucket: "B", ID: "o2"})
	if !errors.Is(err, mstore.ErrNotFound) || !strings.HasPrefix(err.Error(), "B/o2 is a segment of B/o1: ") {
		t.Fatalf("orphan alias: %v", err)
	}
}

// A report alias names a message in another bucket: loading it gives the
// message, deleting it deletes both.
func TestLoadAndDeleteFollowReportAliases(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msg := &mstore.Record{Key: mstore.Key{Bucket: "MADR-4321", ID: "m1"}, MailFrom: "a@example.com", Raw: []byte("x"),
		Origin: mstore.Origin{Channel: "mm7", Shortcode: "4321"}}
	alias := &mstore.Record{Key: mstore.Key{Bucket: "MADR-MM7", ID: "m1"}, Origin: msg.Origin, SegmentOf: "m1", AliasBucket: "MADR-4321"}
	for _, r := range []*mstore.Record{msg, alias} {
		if err := st.Save(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := mstore.LoadMessage(ctx, st, alias.Key)
	if err != nil || got.Key != msg.Key || got.MailFrom != "a@example.com" {
		t.Fatalf("LoadMessage(alias) = %+v, %v", got, err)
	}
	k, err := mstore.DeleteMessage(ctx, st, alias.Key)
	if err != nil || k != msg.Key {
		t.Fatalf("DeleteMessage(alias) = %s, %v", k, err)
	}
	for _, k := range []mstore.Key{msg.Key, alias.Key} {
		if _, err := st.Load(ctx, k); !errors.Is(err, mstore.ErrNotFound) {
			t.Errorf("%s left behind: %v", k, err)
		}
	}
	if err := st.Save(ctx, alias); err != nil {
		t.Fatal(err)
	}
	if _, err := mstore.LoadMessage(ctx, st, alias.Key); !errors.Is(err, mstore.ErrNotFound) ||
		!strings.HasPrefix(err.Error(), "MADR-MM7/m1 is a report alias of MADR-4321/m1: ") {
		t.Errorf("orphan report alias: %v", err)
	}
}
