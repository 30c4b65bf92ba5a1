package mstore

import (
	"context"
	"errors"
	"math"
	"strings"
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

// TestErrorText checks an *Error names its key once, and not at all (no
// lone "/") when the operation has none.
func TestErrorText(t *testing.T) {
	k := Key{Bucket: "MADR-1", ID: "x"}
	_, decodeErr := Decode(k, []byte{1, 2, 3, 4, 5})
	_, encodeErr := Encode(&Record{Key: k, Expires: time.Unix(MaxUnix+1, 0)})
	_, otherKeyErr := Decode(Key{Bucket: "MADR-2", ID: "y"}, []byte{9})
	for _, c := range []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "sweep", Backend: "embedded /d/mstore.db", Err: ErrClosed},
			"mstore sweep on embedded /d/mstore.db: store closed"},
		{&Error{Op: "save", Backend: "riak", Err: errors.New("nil record")},
			"mstore save on riak: nil record"},
		{&Error{Op: "load", Key: k, Backend: "embedded /d/mstore.db", Err: decodeErr},
			"mstore load MADR-1/x on embedded /d/mstore.db: decoding record: corrupt record: checksum mismatch"},
		{&Error{Op: "save", Key: k, Backend: "riak", Err: encodeErr},
			"mstore save MADR-1/x on riak: encoding record: expires: seconds 4611686018427387904 out of range"},
		{&Error{Op: "load", Key: k, Backend: "riak", Err: otherKeyErr},
			"mstore load MADR-1/x on riak: decoding record MADR-2/y: corrupt record"},
	} {
		got := c.err.Error()
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("error text %q, want it to start %q", got, c.want)
		}
		if c.err.Key != (Key{}) && strings.Count(got, c.err.Key.String()) != 1 {
			t.Errorf("error text %q does not name %s exactly once", got, c.err.Key)
		}
		if !errors.Is(c.err, c.err.Err) {
			t.Errorf("%q does not wrap its cause", got)
		}
	}
	if !errors.Is(&Error{Op: "load", Key: k, Err: decodeErr}, ErrCorrupt) {
		t.Error("a decoding error inside an *Error is not ErrCorrupt")
	}
}

// TestExpiryNanos checks the one expiry clamp both backends use.
func TestExpiryNanos(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want int64
	}{
		{time.Unix(5, 6), 5_000_000_006},
		{time.Unix(0, 0), 0},
		{time.Unix(-1, 999_999_999), 0},
		{time.Time{}, 0},
		{time.Unix(0, math.MaxInt64), math.MaxInt64},
		{time.Unix(0, math.MaxInt64-1), math.MaxInt64 - 1},
		{time.Unix(0, math.MaxInt64).Add(1), math.MaxInt64},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
		{time.Unix(MaxUnix, 0), math.MaxInt64},
	} {
		if got := ExpiryNanos(c.t); got != c.want {
			t.Errorf("ExpiryNanos(%v) = %d, want %d", c.t, got, c.want)
		}
	}
}

// TestPrecheck checks the refusals every backend shares.
func TestPrecheck(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	k := Key{Bucket: "b", ID: "i"}
	for _, c := range []struct {
		err  error
		want error
	}{
		{Precheck(context.Background(), "load", "x", k), nil},
		{Precheck(context.Background(), "load", "x", Key{Bucket: "b"}), ErrInvalidKey},
		{Precheck(canceled, "delete", "x", k), context.Canceled},
		{PrecheckSave(context.Background(), "x", nil), errNilRecord},
		{PrecheckSave(canceled, "x", &Record{Key: k}), context.Canceled},
	} {
		if !errors.Is(c.err, c.want) || (c.want == nil) != (c.err == nil) {
			t.Errorf("precheck: %v, want %v", c.err, c.want)
		}
		var me *Error
		if c.err != nil && (!errors.As(c.err, &me) || me.Backend != "x") {
			t.Errorf("precheck: %#v is not an *Error naming the backend", c.err)
		}
	}
}
