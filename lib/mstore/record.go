package mstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"msyshost/lib/binrec"
)

// RecordVersion is the newest record format. FORMAT.md describes every
// version; Decode reads all of them, forever. Encode writes a message as
// version 1, which every release reads, so nodes of an older release
// sharing a Riak cluster during a rolling upgrade still read them; only a
// segment alias needs version 2, and only a report alias (AliasBucket)
// version 3.
const RecordVersion = 3

// zeroUnix is time.Time{}.Unix(): a zero time is stored as this second count
// and decoded back to time.Time{}, so "unset" survives a round trip.
var zeroUnix = time.Time{}.Unix()

// MinUnix and MaxUnix bound the Unix seconds of a stored time (FORMAT.md,
// "time"); the zero time.Time is stored too. Encode refuses what Decode
// would call corrupt, so a saved record always loads. The range covers
// every date a caller means, with room to spare: about ±1.5e11 years.
const (
	MinUnix = math.MinInt64 / 2
	MaxUnix = math.MaxInt64 / 2
)

// checkTime reports a time outside [MinUnix, MaxUnix] seconds.
func checkTime(t time.Time) error {
	if s := t.Unix(); !t.IsZero() && (s < MinUnix || s > MaxUnix) {
		return fmt.Errorf("seconds %d out of range [%d, %d]", s, int64(MinUnix), int64(MaxUnix))
	}
	return nil
}

// Encode serialises r (FORMAT.md): version 1 for a message, version 2 for
// a segment alias, version 3 for an alias into another bucket.
// The encoding is deterministic: map entries are written in key order.
func Encode(r *Record) ([]byte, error) {
	if r == nil {
		return nil, errors.New("encoding record: nil record")
	}
	if err := r.Key.Check(); err != nil {
		return nil, &recordError{"encoding", r.Key, err}
	}
	for _, t := range []struct {
		field string
		t     time.Time
	}{{"created", r.Created}, {"expires", r.Expires}} {
		if err := checkTime(t.t); err != nil {
			return nil, &recordError{"encoding", r.Key, fmt.Errorf("%s: %w", t.field, err)}
		}
	}
	n := 1 + 4 + 2*binary.MaxVarintLen64*2 + len(r.Raw) + 64
	for k, v := range r.Context {
		n += len(k) + len(v) + 2*binary.MaxVarintLen64
	}
	for k, v := range r.ConnContext {
		n += len(k) + len(v) + 2*binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	if r.AliasBucket != "" && r.SegmentOf == "" {
		return nil, &recordError{"encoding", r.Key, errors.New("alias bucket without the message id it names")}
	}
	version := byte(1)
	switch {
	case r.AliasBucket != "":
		version = 3
	case r.SegmentOf != "":
		version = 2
	}
	b = append(b, version)
	for _, s := range []string{r.Bucket, r.ID, r.MailFrom, r.RcptTo} {
		b = binrec.AppendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Raw)))
	b = append(b, r.Raw...)
	b = binrec.AppendMap(b, r.Context)
	b = binrec.AppendMap(b, r.ConnContext)
	o := r.Origin
	for _, s := range []string{o.Channel, o.Binding, o.Domain, o.Shortcode} {
		b = binrec.AppendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(o.Segments)))
	for _, s := range o.Segments {
		b = binrec.AppendString(b, s)
	}
	b = appendTime(b, r.Created)
	b = appendTime(b, r.Expires)
	if version >= 2 {
		b = binrec.AppendString(b, r.SegmentOf)
	}
	if version >= 3 {
		b = binrec.AppendString(b, r.AliasBucket)
	}
	return binrec.Seal(b), nil
}

// Decode parses a record stored under k. Every failure wraps ErrCorrupt and
// names k, so a log line says which stored message is damaged. The returned
// record shares no memory with data.
func Decode(k Key, data []byte) (*Record, error) {
	r, err := decode(data)
	if err != nil {
		return nil, &recordError{"decoding", k, fmt.Errorf("%w: %v", ErrCorrupt, err)}
	}
	if r.Key != k {
		return nil, &recordError{"decoding", k, fmt.Errorf("%w: record holds key %s", ErrCorrupt, r.Key)}
	}
	return r, nil
}

// recordError is an Encode or Decode failure. It names the key, so that a
// caller logging it alone says which message it was; an *Error for the same
// key, which names it already, leaves it out (see Error.Error).
type recordError struct {
	op  string // "encoding" or "decoding"
	key Key
	err error
}

func (e *recordError) Error() string {
	return e.op + " record " + e.key.String() + ": " + e.err.Error()
}

func (e *recordError) Unwrap() error { return e.err }

func decode(data []byte) (*Record, error) {
	if len(data) == 0 {
		return nil, errors.New("empty record")
	}
	switch v := data[0]; v {
	case 1, 2, 3:
		return decodeV123(data, v)
	default:
		return nil, fmt.Errorf("unknown record version %d", v)
	}
}

// legacySegmentOf is the message context key version 1 marked segment
// aliases with, before they had a field of their own.
const legacySegmentOf = "msyshost.segment_of"

// decodeV123 reads versions 1 to 3: version 2 is version 1 with
// segment_of before the checksum, version 3 version 2 with alias_bucket
// after segment_of.
func decodeV123(data []byte, version byte) (*Record, error) {
	body, err := binrec.Unseal(data)
	if err != nil {
		return nil, err
	}
	d := binrec.NewDecoder(body[1:])
	r := &Record{}
	r.Bucket = d.String("bucket")
	r.ID = d.String("message id")
	r.MailFrom = d.String("mail from")
	r.RcptTo = d.String("rcpt to")
	if raw := d.Bytes("raw message"); len(raw) > 0 {
		r.Raw = slices.Clone(raw)
	}
	r.Context = d.StringMap("message context")
	r.ConnContext = d.StringMap("connection context")
	r.Origin.Channel = d.String("origin channel")
	r.Origin.Binding = d.String("origin binding")
	r.Origin.Domain = d.String("origin domain")
	r.Origin.Shortcode = d.String("origin shortcode")
	r.Origin.Segments = d.Strings("segment ids")
	r.Created = decodeTime(d, "created")
	r.Expires = decodeTime(d, "expires")
	if version >= 3 {
		r.SegmentOf = d.String("segment of")
		r.AliasBucket = d.String("alias bucket")
		if d.Err() == nil && (r.SegmentOf == "" || r.AliasBucket == "") {
			d.Fail("alias bucket", "version 3 record without the key its alias names")
		}
	} else if version >= 2 {
		r.SegmentOf = d.String("segment of")
	} else if of, ok := r.Context[legacySegmentOf]; ok {
		r.SegmentOf = of
		delete(r.Context, legacySegmentOf)
		if len(r.Context) == 0 {
			r.Context = nil
		}
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	return r, nil
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// decodeTime reads a time (FORMAT.md, "time"): Unix seconds, then
// nanoseconds below a second; the zero time stored as zeroUnix.
func decodeTime(d *binrec.Decoder, field string) time.Time {
	sec := d.Varint(field)
	nsec := d.Uvarint(field)
	if d.Err() != nil {
		return time.Time{}
	}
	if nsec >= uint64(time.Second) {
		d.Fail(field, "nanoseconds %d out of range", nsec)
		return time.Time{}
	}
	if sec == zeroUnix && nsec == 0 {
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if err := checkTime(t); err != nil {
		d.Fail(field, "%v", err)
		return time.Time{}
	}
	return t
}
