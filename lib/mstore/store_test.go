package mstore

import (
	"testing"
	"time"
)

func TestStamp(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	r := &Record{Key: Key{Bucket: "b", ID: "i"}}
	got := Stamp(r, now, 0)
	if !got.Created.Equal(now) || !got.Expires.Equal(now.Add(DefaultRetention)) {
		t.Fatalf("Stamp of a bare record: created %v expires %v", got.Created, got.Expires)
	}
	if !r.Created.IsZero() || !r.Expires.IsZero() {
		t.Fatal("Stamp modified its argument")
	}
	r.Created, r.Expires = now.Add(-time.Hour), now.Add(time.Minute)
	if got := Stamp(r, now, time.Hour); !got.Created.Equal(r.Created) || !got.Expires.Equal(r.Expires) {
		t.Fatal("Stamp replaced times that were set")
	}
	r.Expires = time.Time{}
	if got := Stamp(r, now, time.Hour); !got.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("retention counts from the save: expires %v", got.Expires)
	}
}
