// Package binrec owns the field encoding of msyshost's stored records
// (the message store's records, lib/mstore/FORMAT.md, and the spool's,
// lib/spool/FORMAT.md): Go's variable-length integers, length-prefixed
// strings, maps in strictly increasing key order, and the CRC-32C trailer
// every record ends with. Each format decides its own fields and
// versions; this package only reads and writes them, never allocating
// for a length or count the bytes left cannot hold, and never panicking.
package binrec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Seal appends the trailer: the CRC-32C (Castagnoli) of b, big-endian.
func Seal(b []byte) []byte {
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

// Unseal checks a record's trailer and returns what precedes it. A record
// holds at least its version byte before the trailer.
func Unseal(data []byte) ([]byte, error) {
	if len(data) < 1+4 {
		return nil, fmt.Errorf("record of %d bytes is shorter than its header and checksum", len(data))
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(body, crcTable); got != sum {
		return nil, fmt.Errorf("checksum mismatch: stored %08x, computed %08x", sum, got)
	}
	return body, nil
}

// Checksum is the CRC-32C of b.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, crcTable) }

// AppendString appends s as a uvarint length and its bytes.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendMap appends m as a uvarint count and key, value string pairs in
// key order, so an encoding is deterministic.
func AppendMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = AppendString(b, k)
		b = AppendString(b, m[k])
	}
	return b
}

// Decoder reads fields in order. The first error sticks and later reads
// return zero values, so a format's decoder reads straight through and
// checks Err once.
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder reads b (a record's body after its version byte).
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err is the first failure, naming the field.
func (d *Decoder) Err() error { return d.err }

// Left is how many bytes are still unread.
func (d *Decoder) Left() int { return len(d.b) }

// End fails a record with bytes after its last field.
func (d *Decoder) End() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d unexpected bytes after the last field", len(d.b))
	}
	return d.err
}

// Fail records a failure of field, unless one is recorded already.
func (d *Decoder) Fail(field string, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	}
}

// Byte reads one byte.
func (d *Decoder) Byte(field string) byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.Fail(field, "missing")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// Uvarint reads an unsigned variable-length integer.
func (d *Decoder) Uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.Fail(field, "bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// UvarintMax reads an unsigned integer no greater than max.
func (d *Decoder) UvarintMax(field string, max uint64) uint64 {
	v := d.Uvarint(field)
	if v > max {
		d.Fail(field, "%d out of range", v)
		return 0
	}
	return v
}

// Varint reads a signed variable-length integer.
func (d *Decoder) Varint(field string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.Fail(field, "bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Bytes reads a length-prefixed byte string; the result shares memory
// with the decoder's input.
func (d *Decoder) Bytes(field string) []byte {
	n := d.Uvarint(field)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.Fail(field, "length %d exceeds the %d bytes left", n, len(d.b))
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// String reads a length-prefixed string.
func (d *Decoder) String(field string) string { return string(d.Bytes(field)) }

// Count reads an element count. Each element takes at least one byte, so
// a count above the bytes left is corrupt and never drives an allocation.
func (d *Decoder) Count(field string) int {
	n := d.Uvarint(field)
	if d.err == nil && n > uint64(len(d.b)) {
		d.Fail(field, "count %d exceeds the %d bytes left", n, len(d.b))
		return 0
	}
	return int(n)
}

// Strings reads a counted list of strings, checked before anything is
// allocated for it; nil when empty.
func (d *Decoder) Strings(field string) []string {
	n := d.Count(field)
	start := d.b
	for i := 0; i < n && d.err == nil; i++ {
		d.Bytes(field)
	}
	if n == 0 || d.err != nil {
		return nil
	}
	out := make([]string, n)
	again := Decoder{b: start}
	for i := range out {
		out[i] = again.String(field)
	}
	return out
}

// StringMap reads a map whose keys are in strictly increasing order,
// checked (lengths and order) before it is allocated; nil when empty.
func (d *Decoder) StringMap(field string) map[string]string {
	n := d.Count(field)
	start := d.b
	var prev []byte
	for i := 0; i < n && d.err == nil; i++ {
		k := d.Bytes(field)
		d.Bytes(field)
		if i > 0 && bytes.Compare(k, prev) <= 0 {
			d.Fail(field, "keys out of order or repeated at %q", k)
		}
		prev = k
	}
	if n == 0 || d.err != nil {
		return nil
	}
	m := make(map[string]string, n)
	again := Decoder{b: start}
	for range n {
		k := again.String(field)
		m[k] = again.String(field)
	}
	return m
}
