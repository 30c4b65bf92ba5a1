package mstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"time"
)

// RecordVersion is the newest record format. FORMAT.md describes every
// version; Decode reads all of them, forever. Encode writes a message as
// version 1, which every release reads, so nodes of an older release
// sharing a Riak cluster during a rolling upgrade still read them; only a
// segment alias needs version 2, and only a report alias (AliasBucket)
// version 3.
const RecordVersion = 3

// crcTable is CRC-32C (Castagnoli), the record trailer's checksum.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

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
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Raw)))
	b = append(b, r.Raw...)
	b = appendMap(b, r.Context)
	b = appendMap(b, r.ConnContext)
	o := r.Origin
	for _, s := range []string{o.Channel, o.Binding, o.Domain, o.Shortcode} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(o.Segments)))
	for _, s := range o.Segments {
		b = appendString(b, s)
	}
	b = appendTime(b, r.Created)
	b = appendTime(b, r.Expires)
	if version >= 2 {
		b = appendString(b, r.SegmentOf)
	}
	if version >= 3 {
		b = appendString(b, r.AliasBucket)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable)), nil
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
	if len(data) < 1+4 {
		return nil, fmt.Errorf("record of %d bytes is shorter than its header and checksum", len(data))
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(body, crcTable); got != sum {
		return nil, fmt.Errorf("checksum mismatch: stored %08x, computed %08x", sum, got)
	}
	d := decoder{b: body[1:]}
	r := &Record{}
	r.Bucket = d.string("bucket")
	r.ID = d.string("message id")
	r.MailFrom = d.string("mail from")
	r.RcptTo = d.string("rcpt to")
	if raw := d.bytes("raw message"); len(raw) > 0 {
		r.Raw = slices.Clone(raw)
	}
	r.Context = d.stringMap("message context")
	r.ConnContext = d.stringMap("connection context")
	r.Origin.Channel = d.string("origin channel")
	r.Origin.Binding = d.string("origin binding")
	r.Origin.Domain = d.string("origin domain")
	r.Origin.Shortcode = d.string("origin shortcode")
	r.Origin.Segments = d.strings("segment ids")
	r.Created = d.time("created")
	r.Expires = d.time("expires")
	if version >= 3 {
		r.SegmentOf = d.string("segment of")
		r.AliasBucket = d.string("alias bucket")
		if d.err == nil && (r.SegmentOf == "" || r.AliasBucket == "") {
			d.err = errors.New("version 3 record without the key its alias names")
		}
	} else if version >= 2 {
		r.SegmentOf = d.string("segment of")
	} else if of, ok := r.Context[legacySegmentOf]; ok {
		r.SegmentOf = of
		delete(r.Context, legacySegmentOf)
		if len(r.Context) == 0 {
			r.Context = nil
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d unexpected bytes after the last field", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, m[k])
	}
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// decoder reads v1 fields; the first error sticks and later reads return
// zero values, so decodeV123 reads straight through and checks once.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(field string, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(field, "bad length or count")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(field string) []byte {
	n := d.uvarint(field)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(field, "length %d exceeds the %d bytes left", n, len(d.b))
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string(field string) string { return string(d.bytes(field)) }

// count reads an element count; each element takes at least one byte, so a
// count above the bytes left is corrupt and never drives an allocation.
func (d *decoder) count(field string) int {
	n := d.uvarint(field)
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail(field, "count %d exceeds the %d bytes left", n, len(d.b))
		return 0
	}
	return int(n)
}

// strings reads a counted list of strings. The entries are checked before
// anything is allocated for them, and the slice is made for exactly their
// number, so a record claiming more entries than it holds costs nothing.
func (d *decoder) strings(field string) []string {
	n := d.count(field)
	start := d.b
	for i := 0; i < n && d.err == nil; i++ {
		d.bytes(field)
	}
	if n == 0 || d.err != nil {
		return nil
	}
	out := make([]string, n)
	again := decoder{b: start}
	for i := range out {
		out[i] = again.string(field)
	}
	return out
}

// stringMap reads a map, checked (lengths and key order) before it is
// allocated, as strings does.
func (d *decoder) stringMap(field string) map[string]string {
	n := d.count(field)
	start := d.b
	var prev []byte
	for i := 0; i < n && d.err == nil; i++ {
		k := d.bytes(field)
		d.bytes(field)
		if i > 0 && bytes.Compare(k, prev) <= 0 {
			d.fail(field, "keys out of order or repeated at %q", k)
		}
		prev = k
	}
	if n == 0 || d.err != nil {
		return nil
	}
	m := make(map[string]string, n)
	again := decoder{b: start}
	for range n {
		k := again.string(field)
		m[k] = again.string(field)
	}
	return m
}

func (d *decoder) time(field string) time.Time {
	if d.err != nil {
		return time.Time{}
	}
	sec, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(field, "bad seconds")
		return time.Time{}
	}
	d.b = d.b[n:]
	nsec := d.uvarint(field)
	if d.err != nil {
		return time.Time{}
	}
	if nsec >= uint64(time.Second) {
		d.fail(field, "nanoseconds %d out of range", nsec)
		return time.Time{}
	}
	if sec == zeroUnix && nsec == 0 {
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if err := checkTime(t); err != nil {
		d.fail(field, "%v", err)
		return time.Time{}
	}
	return t
}
