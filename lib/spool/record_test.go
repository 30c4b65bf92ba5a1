package spool

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"msyshost/lib/status"
)

// TestDecodeFixtureV1 keeps the version-1 record written once by an
// earlier build decodable (FORMAT.md: never regenerate a fixture).
func TestDecodeFixtureV1(t *testing.T) {
	data, err := os.ReadFile("testdata/record-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeRecord("53/6B-00007-0000356B", data)
	if err != nil {
		t.Fatal(err)
	}
	want := record{
		ID: "53/6B-00007-0000356B", BatchID: "53/6A-00007-0000356A", ConnID: "conn-9",
		MailFrom: "sender@example.com", RcptTo: "15551234@smpp.example.com",
		RoutingDomain: "mm7.example.com", Binding: "carrier1", BindingGroup: "mobile",
		Created:  time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		Next:     time.Date(2026, 1, 2, 3, 24, 5, 6, time.UTC),
		Attempts: 2, Size: 1234,
	}
	got := *r
	got.Context, got.ConnContext, got.LastError = nil, nil, nil
	if got.Created.Equal(want.Created) && got.Next.Equal(want.Next) {
		got.Created, got.Next = want.Created, want.Next
	}
	if got.ID != want.ID || got.BatchID != want.BatchID || got.ConnID != want.ConnID || got.MailFrom != want.MailFrom ||
		got.RcptTo != want.RcptTo || got.RoutingDomain != want.RoutingDomain || got.Binding != want.Binding ||
		got.BindingGroup != want.BindingGroup || !got.Created.Equal(want.Created) || !got.Next.Equal(want.Next) ||
		got.Attempts != want.Attempts || got.Size != want.Size {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	if r.Context["a"] != "1" || r.Context["b"] != "two" || len(r.Context) != 2 || r.ConnContext["peer"] != "127.0.0.1" {
		t.Fatalf("contexts %v %v", r.Context, r.ConnContext)
	}
	e := r.LastError
	if e == nil || e.Protocol != status.SMTP || e.Code != 451 || e.Enhanced != "4.4.1" || e.Text != "no answer" || !e.Temporary {
		t.Fatalf("last error %+v", e)
	}
	// Version 1 had no content key: the content is stored under the id.
	if r.Content != r.ID || r.Failed || r.Quiet || r.Quarantined || r.Panics != 0 {
		t.Fatalf("version-2 fields of a version-1 record: %+v", r)
	}
	// Written again (as version 2), it reads back the same.
	again, err := decodeRecord(r.ID, encodeRecord(r))
	if err != nil || !reflect.DeepEqual(again, r) {
		t.Fatalf("re-encoded as version %d: %+v, %v", recordVersion, again, err)
	}
}

// TestDecodeFixtureV2 keeps the version-2 record written once decodable,
// and the encoder writing it byte for byte.
func TestDecodeFixtureV2(t *testing.T) {
	data, err := os.ReadFile("testdata/record-v2.bin")
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeRecord("53/6C-00008-0000356C", data)
	if err != nil {
		t.Fatal(err)
	}
	if r.RcptTo != "15551234@smpp.example.com" || r.Attempts != 3 || r.Size != 4321 || r.Context["b"] != "two" ||
		!r.Next.Equal(time.Date(2026, 2, 3, 4, 25, 6, 7, time.UTC)) {
		t.Fatalf("decoded %+v", r)
	}
	if r.Content != "53/6B-00008-0000356B" || !r.Failed || !r.Quiet || r.Quarantined || r.Panics != 1 {
		t.Fatalf("version-2 fields %+v", r)
	}
	if e := r.LastError; e == nil || e.Code != 550 || e.Enhanced != "5.1.1" || e.Temporary {
		t.Fatalf("last error %+v", e)
	}
	if again := encodeRecord(r); !bytes.Equal(again, data) {
		t.Fatalf("re-encoding differs from the fixture")
	}
	if _, err := decodeRecord(r.ID, append(append([]byte(nil), data[:len(data)-6]...), 0, 0, 0, 0, 0, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged version 2: %v", err)
	}
}

// TestDecodeRejectsDamage checks truncation, a flipped bit, another id and
// trailing bytes all decode to ErrCorrupt naming the id.
func TestDecodeRejectsDamage(t *testing.T) {
	data, err := os.ReadFile("testdata/record-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	id := "53/6B-00007-0000356B"
	flipped := bytes.Clone(data)
	flipped[30] ^= 0x10
	for name, tc := range map[string]struct {
		id   string
		data []byte
	}{
		"truncated":   {id, data[:len(data)-5]},
		"bit flipped": {id, flipped},
		"other id":    {"00/01-00001-00000001", data},
		"empty":       {id, nil},
		"version 9":   {id, append([]byte{9}, data[1:]...)},
	} {
		_, err := decodeRecord(tc.id, tc.data)
		if !errors.Is(err, ErrCorrupt) || !bytes.Contains([]byte(err.Error()), []byte(tc.id)) {
			t.Errorf("%s: %v, want ErrCorrupt naming %s", name, err, tc.id)
		}
	}
	if _, err := decodeContent(id, []byte("abc")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("short content: %v", err)
	}
	c := encodeContent([]byte("Subject: x\r\n\r\nbody"))
	c[3] ^= 1
	if _, err := decodeContent(id, c); !errors.Is(err, ErrCorrupt) {
		t.Errorf("damaged content: %v", err)
	}
}

// FuzzDecodeRecord checks the decoder never panics, and that what it
// accepts encodes back to the same bytes (the encoding is canonical).
func FuzzDecodeRecord(f *testing.F) {
	data, err := os.ReadFile("testdata/record-v1.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	if v2, err := os.ReadFile("testdata/record-v2.bin"); err == nil {
		f.Add(v2)
	}
	f.Add(encodeRecord(&record{ID: "x", Content: "x"}))
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeAny(b)
		if err != nil {
			return
		}
		again := encodeRecord(r)
		if b[0] == recordVersion && !bytes.Equal(again, b) {
			t.Fatalf("decoded %+v re-encodes to %x, not %x", r, again, b)
		}
		if r2, err := decodeAny(again); err != nil || !reflect.DeepEqual(r2, r) {
			t.Fatalf("decoded %+v re-encodes to what decodes as %+v, %v", r, r2, err)
		}
	})
}
