package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/status"
)

// recordVersion is the version byte encodeRecord writes. FORMAT.md
// describes every version; decodeRecord reads all of them, forever.
const recordVersion = 2

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt marks a stored record or content that fails its checks.
var ErrCorrupt = errors.New("corrupt spool record")

// record is what the spool keeps about one queued message besides its
// content (FORMAT.md, "Message record").
type record struct {
	ID            string
	BatchID       string
	ConnID        string
	MailFrom      string
	RcptTo        string
	RoutingDomain string
	Binding       string
	BindingGroup  string
	Context       map[string]string
	ConnContext   map[string]string
	Created       time.Time
	Next          time.Time // next delivery attempt
	Attempts      int       // delivery attempts made so far
	LastError     *status.Error
	Size          int // bytes of content
	// Content is the key of the message's content in bucket "content":
	// the id of the first message of the batch that shares it (version 1
	// records: their own id).
	Content string
	// Failed says the message failed for good and only its bounce and
	// removal are left to do: LastError is the cause, Quiet says no bounce
	// is owed. It is never delivered again.
	Failed, Quiet bool
	// Quarantined says the message was taken out of delivery after its
	// channel panicked Panics times; an operator retries or fails it.
	Quarantined bool
	Panics      int
}

// Record flags (FORMAT.md, version 2).
const (
	flagFailed uint64 = 1 << iota
	flagQuiet
	flagQuarantined
	flagsKnown = flagFailed | flagQuiet | flagQuarantined
)

// recordOf makes the record of m, queued under id at now for an attempt
// at once, its content stored under content.
func recordOf(m *message.Message, id, content string, size int, now time.Time) *record {
	return &record{
		ID: id, BatchID: m.BatchID, ConnID: m.ConnID,
		MailFrom: m.MailFrom, RcptTo: m.RcptTo,
		RoutingDomain: m.RoutingDomain, Binding: m.Binding, BindingGroup: m.BindingGroup,
		Context: m.Context, ConnContext: m.ConnContext,
		Created: now, Next: now, Size: size, Content: content,
	}
}

// message rebuilds the queued message from its record and content.
func (r *record) message(raw []byte) *message.Message {
	m := message.FromRaw(r.MailFrom, r.RcptTo, raw)
	m.ID, m.BatchID, m.ConnID = r.ID, r.BatchID, r.ConnID
	m.RoutingDomain, m.Binding, m.BindingGroup = r.RoutingDomain, r.Binding, r.BindingGroup
	for k, v := range r.Context {
		m.Context[k] = v
	}
	for k, v := range r.ConnContext {
		m.ConnContext[k] = v
	}
	return m
}

// domain is the domain that routes the message: the routing domain policy
// set, else the recipient's.
func (r *record) domain() string {
	return message.RoutingDomain(r.RoutingDomain, r.RcptTo)
}

func encodeRecord(r *record) []byte {
	b := make([]byte, 0, 256)
	b = append(b, recordVersion)
	for _, s := range []string{r.ID, r.BatchID, r.ConnID, r.MailFrom, r.RcptTo, r.RoutingDomain, r.Binding, r.BindingGroup} {
		b = appendString(b, s)
	}
	b = appendMap(b, r.Context)
	b = appendMap(b, r.ConnContext)
	b = binary.AppendVarint(b, r.Created.UnixNano())
	b = binary.AppendVarint(b, r.Next.UnixNano())
	b = binary.AppendUvarint(b, uint64(r.Attempts))
	b = binary.AppendUvarint(b, uint64(r.Size))
	if e := r.LastError; e == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendString(b, string(e.Protocol))
		b = binary.AppendVarint(b, int64(e.Code))
		b = appendString(b, e.Enhanced)
		b = appendString(b, errorText(e))
		temp := byte(0)
		if e.Temporary {
			temp = 1
		}
		b = append(b, temp)
	}
	b = appendString(b, r.Content)
	var flags uint64
	for _, f := range []struct {
		on   bool
		flag uint64
	}{{r.Failed, flagFailed}, {r.Quiet, flagQuiet}, {r.Quarantined, flagQuarantined}} {
		if f.on {
			flags |= f.flag
		}
	}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendUvarint(b, uint64(r.Panics))
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

// errorText is what is kept of a delivery error: its text and its cause's.
func errorText(e *status.Error) string {
	if e.Err == nil {
		return e.Text
	}
	if e.Text == "" {
		return e.Err.Error()
	}
	return e.Text + ": " + e.Err.Error()
}

// decodeRecord parses the record stored under id; every failure wraps
// ErrCorrupt and names id. It never panics (FuzzDecodeRecord).
func decodeRecord(id string, data []byte) (*record, error) {
	r, err := decodeAny(data)
	if err == nil && r.ID != id {
		err = fmt.Errorf("record holds id %q", r.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("decoding spool record %s: %w: %v", id, ErrCorrupt, err)
	}
	return r, nil
}

func decodeAny(data []byte) (*record, error) {
	if len(data) == 0 {
		return nil, errors.New("empty record")
	}
	switch v := data[0]; v {
	case 1, 2:
		return decodeV12(data, v)
	default:
		return nil, fmt.Errorf("unknown record version %d", v)
	}
}

// decodeV12 reads versions 1 and 2: version 2 is version 1 with the
// content key, flags and panic count before the checksum.
func decodeV12(data []byte, version byte) (*record, error) {
	body, err := checked(data)
	if err != nil {
		return nil, err
	}
	d := decoder{b: body[1:]}
	r := &record{}
	for _, f := range []struct {
		p    *string
		name string
	}{
		{&r.ID, "id"}, {&r.BatchID, "batch id"}, {&r.ConnID, "connection id"},
		{&r.MailFrom, "mail from"}, {&r.RcptTo, "rcpt to"}, {&r.RoutingDomain, "routing domain"},
		{&r.Binding, "binding"}, {&r.BindingGroup, "binding group"},
	} {
		*f.p = d.string(f.name)
	}
	r.Context = d.stringMap("message context")
	r.ConnContext = d.stringMap("connection context")
	r.Created = time.Unix(0, d.varint("created")).UTC()
	r.Next = time.Unix(0, d.varint("next attempt")).UTC()
	r.Attempts = int(d.uvarintMax("attempts", 1<<31))
	r.Size = int(d.uvarintMax("size", 1<<40))
	switch d.byte("last error") {
	case 0:
	case 1:
		e := &status.Error{}
		e.Protocol = status.Protocol(d.string("last error protocol"))
		e.Code = int(d.varint("last error code"))
		e.Enhanced = d.string("last error enhanced code")
		e.Text = d.string("last error text")
		switch d.byte("last error temporary") {
		case 0:
		case 1:
			e.Temporary = true
		default:
			d.fail("last error temporary", "flag is neither 0 nor 1")
		}
		r.LastError = e
	default:
		d.fail("last error", "flag is neither 0 nor 1")
	}
	r.Content = r.ID
	if version >= 2 {
		r.Content = d.string("content key")
		flags := d.uvarint("flags")
		if flags&^flagsKnown != 0 {
			d.fail("flags", "unknown flags %#x", flags&^flagsKnown)
		}
		r.Failed, r.Quiet, r.Quarantined = flags&flagFailed != 0, flags&flagQuiet != 0, flags&flagQuarantined != 0
		r.Panics = int(d.uvarintMax("panics", 1<<31))
		if d.err == nil && r.Content == "" {
			d.fail("content key", "empty")
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

// encodeContent is the stored form of a message's content: the bytes, then
// their CRC-32C (FORMAT.md, "Content").
func encodeContent(raw []byte) []byte {
	b := make([]byte, 0, len(raw)+4)
	b = append(b, raw...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(raw, crcTable))
}

// decodeContent checks and returns stored content; the result shares no
// memory with data (bbolt's pages are only valid inside the transaction).
func decodeContent(id string, data []byte) ([]byte, error) {
	if len(data) < 4 {
		return nil, fmt.Errorf("decoding spool content %s: %w: %d bytes, shorter than the checksum", id, ErrCorrupt, len(data))
	}
	raw, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(raw, crcTable); got != sum {
		return nil, fmt.Errorf("decoding spool content %s: %w: checksum mismatch: stored %08x, computed %08x", id, ErrCorrupt, sum, got)
	}
	return slices.Clone(raw), nil
}

// checked verifies a record's trailing checksum and returns what precedes it.
func checked(data []byte) ([]byte, error) {
	if len(data) < 1+4 {
		return nil, fmt.Errorf("record of %d bytes is shorter than its header and checksum", len(data))
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(body, crcTable); got != sum {
		return nil, fmt.Errorf("checksum mismatch: stored %08x, computed %08x", sum, got)
	}
	return body, nil
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

// decoder reads fields; the first error sticks and later reads return zero
// values, so a decoder reads straight through and checks once.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(field string, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) byte(field string) byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail(field, "missing")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(field, "bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarintMax(field string, max uint64) uint64 {
	v := d.uvarint(field)
	if v > max {
		d.fail(field, "%d out of range", v)
		return 0
	}
	return v
}

func (d *decoder) varint(field string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(field, "bad number")
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

// stringMap reads a map whose keys are in strictly increasing order; the
// entries are checked before anything is allocated for them, so a record
// claiming more entries than it holds costs nothing.
func (d *decoder) stringMap(field string) map[string]string {
	n := d.uvarint(field)
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail(field, "count %d exceeds the %d bytes left", n, len(d.b))
	}
	start := d.b
	var prev []byte
	for i := uint64(0); i < n && d.err == nil; i++ {
		k := d.bytes(field)
		d.bytes(field)
		if i > 0 && bytes.Compare(k, prev) <= 0 {
			d.fail(field, "keys out of order or repeated at %q", k)
		}
		prev = k
	}
	if d.err != nil {
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
