package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"msyshost/lib/binrec"

	"msyshost/lib/message"
	"msyshost/lib/status"
)

// recordVersion is the version byte encodeRecord writes. FORMAT.md
// describes every version; decodeRecord reads all of them, forever.
const recordVersion = 2

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
		b = binrec.AppendString(b, s)
	}
	b = binrec.AppendMap(b, r.Context)
	b = binrec.AppendMap(b, r.ConnContext)
	b = binary.AppendVarint(b, r.Created.UnixNano())
	b = binary.AppendVarint(b, r.Next.UnixNano())
	b = binary.AppendUvarint(b, uint64(r.Attempts))
	b = binary.AppendUvarint(b, uint64(r.Size))
	if e := r.LastError; e == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binrec.AppendString(b, string(e.Protocol))
		b = binary.AppendVarint(b, int64(e.Code))
		b = binrec.AppendString(b, e.Enhanced)
		b = binrec.AppendString(b, errorText(e))
		temp := byte(0)
		if e.Temporary {
			temp = 1
		}
		b = append(b, temp)
	}
	b = binrec.AppendString(b, r.Content)
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
	return binrec.Seal(b)
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
	body, err := binrec.Unseal(data)
	if err != nil {
		return nil, err
	}
	d := binrec.NewDecoder(body[1:])
	r := &record{}
	for _, f := range []struct {
		p    *string
		name string
	}{
		{&r.ID, "id"}, {&r.BatchID, "batch id"}, {&r.ConnID, "connection id"},
		{&r.MailFrom, "mail from"}, {&r.RcptTo, "rcpt to"}, {&r.RoutingDomain, "routing domain"},
		{&r.Binding, "binding"}, {&r.BindingGroup, "binding group"},
	} {
		*f.p = d.String(f.name)
	}
	r.Context = d.StringMap("message context")
	r.ConnContext = d.StringMap("connection context")
	r.Created = time.Unix(0, d.Varint("created")).UTC()
	r.Next = time.Unix(0, d.Varint("next attempt")).UTC()
	r.Attempts = int(d.UvarintMax("attempts", 1<<31))
	r.Size = int(d.UvarintMax("size", 1<<40))
	switch d.Byte("last error") {
	case 0:
	case 1:
		e := &status.Error{}
		e.Protocol = status.Protocol(d.String("last error protocol"))
		e.Code = int(d.Varint("last error code"))
		e.Enhanced = d.String("last error enhanced code")
		e.Text = d.String("last error text")
		switch d.Byte("last error temporary") {
		case 0:
		case 1:
			e.Temporary = true
		default:
			d.Fail("last error temporary", "flag is neither 0 nor 1")
		}
		r.LastError = e
	default:
		d.Fail("last error", "flag is neither 0 nor 1")
	}
	r.Content = r.ID
	if version >= 2 {
		r.Content = d.String("content key")
		flags := d.Uvarint("flags")
		if flags&^flagsKnown != 0 {
			d.Fail("flags", "unknown flags %#x", flags&^flagsKnown)
		}
		r.Failed, r.Quiet, r.Quarantined = flags&flagFailed != 0, flags&flagQuiet != 0, flags&flagQuarantined != 0
		r.Panics = int(d.UvarintMax("panics", 1<<31))
		if d.Err() == nil && r.Content == "" {
			d.Fail("content key", "empty")
		}
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	return r, nil
}

// encodeContent is the stored form of a message's content: the bytes, then
// their CRC-32C (FORMAT.md, "Content").
func encodeContent(raw []byte) []byte {
	b := make([]byte, 0, len(raw)+4)
	b = append(b, raw...)
	return binary.BigEndian.AppendUint32(b, binrec.Checksum(raw))
}

// decodeContent checks and returns stored content; the result shares no
// memory with data (bbolt's pages are only valid inside the transaction).
func decodeContent(id string, data []byte) ([]byte, error) {
	if len(data) < 4 {
		return nil, fmt.Errorf("decoding spool content %s: %w: %d bytes, shorter than the checksum", id, ErrCorrupt, len(data))
	}
	raw, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if got := binrec.Checksum(raw); got != sum {
		return nil, fmt.Errorf("decoding spool content %s: %w: checksum mismatch: stored %08x, computed %08x", id, ErrCorrupt, sum, got)
	}
	return slices.Clone(raw), nil
}
