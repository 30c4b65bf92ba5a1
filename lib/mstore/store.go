// Package mstore owns the message store of the retry feature: the stored
// record, the Store interface every backend implements, and the errors callers
// can test for. Backends live in subpackages (embedded, riak).
package mstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ErrNotFound is returned by Load and Delete when no live record exists under
// the key (never stored, deleted, or past its expiry).
var ErrNotFound = errors.New("no such message")

// ErrClosed is returned by every call made after Close.
var ErrClosed = errors.New("store closed")

// ErrCorrupt is wrapped by every error that reports a stored record that
// cannot be decoded (bad length, bad checksum, unknown version).
var ErrCorrupt = errors.New("corrupt record")

// ErrOutcomeUnknown is wrapped by the error of a Save or Delete whose
// write was sent but not answered (a timeout, a lost connection): the
// record may or may not have been written. A Save of the same record is
// safe to repeat; a caller that must know loads the key.
var ErrOutcomeUnknown = errors.New("outcome unknown")

// ErrInvalidKey is returned for a key with an empty bucket or message id.
var ErrInvalidKey = errors.New("invalid key: bucket and message id must not be empty")

// DefaultRetention is how long a record whose Expires is zero is kept: 14
// days, the retention Momentum's Riak setup uses.
const DefaultRetention = 14 * 24 * time.Hour

// Key names a stored message the way Momentum does: a bucket such as
// "MADR-12345" or "MADR-MM7" and the message id the SMSC/MMSC returned.
type Key struct {
	Bucket string
	ID     string
}

func (k Key) String() string { return k.Bucket + "/" + k.ID }

// Check reports ErrInvalidKey for a key no backend can store.
func (k Key) Check() error {
	if k.Bucket == "" || k.ID == "" {
		return ErrInvalidKey
	}
	return nil
}

// Origin says where a stored message was sent, so a receipt handler and the
// console can tell the operator what it was.
type Origin struct {
	Channel   string   // "smpp" or "mm7"
	Binding   string   // binding the submission went out on
	Domain    string   // recipient domain that routed it
	Shortcode string   // originating short code, empty when none
	Segments  []string // ids of every segment of a long SMS, in order
}

// Record is one stored message.
type Record struct {
	Key
	MailFrom    string            // envelope sender
	RcptTo      string            // envelope recipient
	Raw         []byte            // the RFC 5322 message, headers and body
	Context     map[string]string // message context (ECMESS_CTX_MESS)
	ConnContext map[string]string // connection context (ECMESS_CTX_CONN)
	Origin      Origin
	Created     time.Time
	Expires     time.Time // zero: the store's retention applies
	// SegmentOf marks an alias: a record that holds no message (no
	// envelope, content or context) but names the message id under which
	// the message is stored. A segment alias is kept under a further
	// segment id of a long SMS and names its first segment's id; a report
	// alias is kept in another bucket under the message's own id
	// (AliasBucket).
	SegmentOf string
	// AliasBucket is the bucket of the message an alias names, when it
	// is not the alias's own: an MM7 message stored under
	// MADR-<shortcode> has a report alias MADR-MM7/<id>, so a delivery
	// report whose sender the relay rewrote still finds it.
	AliasBucket string
}

// IsAlias reports whether r is an alias rather than a message.
func (r *Record) IsAlias() bool { return r.SegmentOf != "" }

// Target is the key of the message an alias names; r's own key for a
// message.
func (r *Record) Target() Key {
	if !r.IsAlias() {
		return r.Key
	}
	k := Key{Bucket: r.Bucket, ID: r.SegmentOf}
	if r.AliasBucket != "" {
		k.Bucket = r.AliasBucket
	}
	return k
}

// Stamp returns the copy of r a backend stores: a zero Created becomes now,
// a zero Expires now plus retention (DefaultRetention when retention is not
// positive), so retention counts from the save, as Riak's backend expiry
// does. r itself is not modified.
func Stamp(r *Record, now time.Time, retention time.Duration) Record {
	c := *r
	if retention <= 0 {
		retention = DefaultRetention
	}
	if c.Created.IsZero() {
		c.Created = now
	}
	if c.Expires.IsZero() {
		c.Expires = now.Add(retention)
	}
	return c
}

// ExpiryNanos is t in Unix nanoseconds clamped to [0, math.MaxInt64]: a
// time before 1970 is 0 and one after 2262 (where UnixNano overflows) is
// MaxInt64. The mapping keeps order, so backends index and compare
// expiries as integers: the embedded store's expiry index and the Riak
// backend's "mstore-expires" metadata both hold it.
func ExpiryNanos(t time.Time) int64 {
	switch {
	case t.Unix() < 0:
		return 0
	case t.After(maxNanos):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var maxNanos = time.Unix(0, math.MaxInt64)

// errNilRecord is the cause Save reports for a nil record.
var errNilRecord = errors.New("nil record")

// Precheck is what every backend checks before an operation touches
// storage: a valid key and a context that has not ended. It returns nil or
// the *Error of op on k at backend.
func Precheck(ctx context.Context, op, backend string, k Key) error {
	err := k.Check()
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return &Error{Op: op, Key: k, Backend: backend, Err: err}
	}
	return nil
}

// PrecheckSave is Precheck for Save, which first refuses a nil record.
func PrecheckSave(ctx context.Context, backend string, r *Record) error {
	if r == nil {
		return &Error{Op: "save", Backend: backend, Err: errNilRecord}
	}
	return Precheck(ctx, "save", backend, r.Key)
}

// Store keeps records until they are deleted or expire.
//
// Save returns only once the record is durable. Load and Delete return
// ErrNotFound for a missing or expired key; a backend error is wrapped with
// the key and the backend's name so the caller can log what and where.
type Store interface {
	Save(ctx context.Context, r *Record) error
	Load(ctx context.Context, k Key) (*Record, error)
	Delete(ctx context.Context, k Key) error
	Close() error
}

// Sweeper is implemented by backends that remove expired records themselves.
// A backend runs sweeps in the background; Sweep lets tests and the scenario
// runner's clock trigger one now. It removes every record expired at the
// backend's clock, in bounded transactions, and reports how many it removed.
type Sweeper interface {
	Sweep(ctx context.Context) (removed int, err error)
}

// Error wraps a backend failure with what was being done and to which key.
type Error struct {
	Op      string // "save", "load", "delete"
	Key     Key
	Backend string // "embedded /var/lib/msyshost/mstore.db", "riak 10.0.0.2:8098"
	Err     error
}

// Error says "mstore <op> <bucket/id> on <backend>: <cause>", naming the key
// once: a key-less operation (a sweep, a nil record) has no key part, and a
// record error for the same key drops its own copy.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("mstore ")
	b.WriteString(e.Op)
	if e.Key != (Key{}) {
		b.WriteString(" ")
		b.WriteString(e.Key.String())
	}
	b.WriteString(" on ")
	b.WriteString(e.Backend)
	b.WriteString(": ")
	if re, ok := e.Err.(*recordError); ok && re.key == e.Key {
		b.WriteString(re.op + " record: " + re.err.Error())
	} else {
		fmt.Fprint(&b, e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }
