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
