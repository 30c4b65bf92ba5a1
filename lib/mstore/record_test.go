package mstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"msyshost/lib/binrec"
)

// fixtureV1 is the record stored in testdata/record-v1.bin. The file was
// written once by Encode at version 1 and must stay decodable forever: never
// regenerate it, add a new fixture next to it when the format changes.
func fixtureV1() *Record {
	return &Record{
		Key:         Key{Bucket: "MADR-12345", ID: "1a2b:3c/04"},
		MailFrom:    "alice@example.com",
		RcptTo:      "15551234@smpp.example.com",
		Raw:         []byte("Subject: hi\r\nX-Bin: \x00\xff\r\n\r\nhello\x00world\r\n"),
		Context:     map[string]string{"mo_route": "smsc-a", "bin": "\x00\x01\n"},
		ConnContext: map[string]string{"peer": "10.0.0.2:2775"},
		Origin: Origin{
			Channel:   "smpp",
			Binding:   "smsc_a",
			Domain:    "smpp.example.com",
			Shortcode: "12345",
			Segments:  []string{"1a2b3c04", "1a2b3c05"},
		},
		Created: time.Date(2026, 11, 26, 9, 0, 0, 123456789, time.UTC),
		Expires: time.Date(2026, 12, 10, 9, 0, 0, 123456789, time.UTC),
	}
}

func TestDecodeFixtureV1(t *testing.T) {
	data, err := os.ReadFile("testdata/record-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	want := fixtureV1()
	got, err := Decode(want.Key, data)
	if err != nil {
		t.Fatalf("version 1 fixture no longer decodes: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("version 1 fixture decodes to\n%+v\nwant\n%+v", got, want)
	}
	{
		// A message is still written as version 1.
		enc, err := Encode(want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("Encode of a message no longer writes the version 1 fixture's bytes")
		}
	}
}

// fixtureV2 is the record stored in testdata/record-v2.bin, written once by
// Encode at version 2: a segment alias, the kind version 2 added.
func fixtureV2() *Record {
	return &Record{
		Key:       Key{Bucket: "MADR-12345", ID: "1a2b3c05"},
		Origin:    Origin{Channel: "smpp", Shortcode: "12345", Segments: []string{"1a2b3c04", "1a2b3c05"}},
		Created:   time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC),
		Expires:   time.Date(2026, 12, 19, 12, 0, 0, 0, time.UTC),
		SegmentOf: "1a2b3c04",
	}
}

func TestDecodeFixtureV2(t *testing.T) {
	data, err := os.ReadFile("testdata/record-v2.bin")
	if err != nil {
		t.Fatal(err)
	}
	want := fixtureV2()
	got, err := Decode(want.Key, data)
	if err != nil {
		t.Fatalf("version 2 fixture no longer decodes: %v", err)
	}
	if !reflect.DeepEqual(got, want) || !got.IsAlias() {
		t.Fatalf("version 2 fixture decodes to\n%+v\nwant\n%+v", got, want)
	}
	{
		enc, err := Encode(want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("Encode of an alias no longer writes the version 2 fixture's bytes")
		}
	}
}

// fixtureV3 is the record stored in testdata/record-v3.bin, written once by
// Encode at version 3: a report alias, which names a message in another
// bucket (an MM7 message under MADR-<shortcode>, found from MADR-MM7).
func fixtureV3() *Record {
	return &Record{
		Key:         Key{Bucket: "MADR-MM7", ID: "0000002A9F3C1B"},
		Origin:      Origin{Channel: "mm7", Binding: "mmsc_a", Domain: "mm7.example.com", Shortcode: "4321"},
		Created:     time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC),
		Expires:     time.Date(2026, 12, 19, 14, 0, 0, 0, time.UTC),
		SegmentOf:   "0000002A9F3C1B",
		AliasBucket: "MADR-4321",
	}
}

func TestDecodeFixtureV3(t *testing.T) {
	data, err := os.ReadFile("testdata/record-v3.bin")
	if err != nil {
		t.Fatal(err)
	}
	want := fixtureV3()
	got, err := Decode(want.Key, data)
	if err != nil {
		t.Fatalf("version 3 fixture no longer decodes: %v", err)
	}
	if !reflect.DeepEqual(got, want) || !got.IsAlias() || got.Target() != (Key{Bucket: "MADR-4321", ID: "0000002A9F3C1B"}) {
		t.Fatalf("version 3 fixture decodes to\n%+v\nwant\n%+v", got, want)
	}
	enc, err := Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, data) {
		t.Fatalf("Encode of a report alias no longer writes the version 3 fixture's bytes")
	}
	// Version 3 without the key it names is corrupt, and not written.
	if _, err := Encode(&Record{Key: want.Key, AliasBucket: "MADR-4321"}); err == nil {
		t.Error("an alias bucket without SegmentOf was encoded")
	}
}

// Version 1 marked aliases with a context key; they decode as aliases.
func TestDecodeV1Alias(t *testing.T) {
	r := &Record{Key: Key{Bucket: "MADR-1", ID: "seg2"}, Context: map[string]string{"msyshost.segment_of": "seg1"}}
	data, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	if data[0] != 1 {
		t.Fatalf("a record without SegmentOf encodes as version %d", data[0])
	}
	got, err := Decode(r.Key, data)
	if err != nil {
		t.Fatal(err)
	}
	if got.SegmentOf != "seg1" || got.Context != nil {
		t.Fatalf("version 1 alias decoded as %+v", got)
	}
}

func TestRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte{0, 1, 2, 0xff, '\r', '\n'}, 1<<20)
	for _, r := range []*Record{
		fixtureV1(),
		fixtureV2(),
		fixtureV3(),
		{Key: Key{Bucket: "b", ID: "i"}},
		{Key: Key{Bucket: "MADR-MM7", ID: "\x00\xff/:%"}, Raw: big, Expires: time.Unix(0, 1).UTC()},
		{Key: Key{Bucket: "b", ID: "old"}, Created: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)},
		{Key: Key{Bucket: "b", ID: "range"}, Created: time.Unix(MinUnix, 0).UTC(), Expires: time.Unix(MaxUnix, 999999999).UTC()},
	} {
		data, err := Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		if want := byte(1 + min(len(r.SegmentOf), 1) + min(len(r.AliasBucket), 1)); data[0] != want {
			t.Fatalf("version byte %d, want %d", data[0], want)
		}
		got, err := Decode(r.Key, data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip of %s changed the record", r.Key)
		}
		clear(data)
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("decoded %s aliases the encoded bytes", r.Key)
		}
	}
}

func TestEncodeRejects(t *testing.T) {
	if _, err := Encode(nil); err == nil {
		t.Error("Encode(nil) succeeded")
	}
	for _, k := range []Key{{}, {Bucket: "b"}, {ID: "i"}} {
		if _, err := Encode(&Record{Key: k}); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Encode with key %q: %v, want ErrInvalidKey", k, err)
		}
	}
	// Encode refuses exactly the times Decode calls corrupt, naming the
	// key and the field, so a saved record always loads.
	k := Key{Bucket: "MADR-1", ID: "x"}
	for _, c := range []struct {
		field string
		r     Record
	}{
		{"expires", Record{Key: k, Expires: time.Unix(MaxUnix+1, 0)}},
		{"expires", Record{Key: k, Expires: time.Unix(math.MaxInt64, 0)}},
		{"expires", Record{Key: k, Expires: time.Unix(1<<62, 0)}},
		{"created", Record{Key: k, Created: time.Unix(MinUnix-1, 999999999)}},
	} {
		_, err := Encode(&c.r)
		if err == nil || !strings.Contains(err.Error(), "MADR-1/x") || !strings.Contains(err.Error(), c.field) {
			t.Errorf("Encode with %s %d s: %v, want an error naming MADR-1/x and %s", c.field, max(c.r.Created.Unix(), c.r.Expires.Unix()), err, c.field)
		}
	}
}

func TestDecodeCorrupt(t *testing.T) {
	r := fixtureV1()
	good, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, data []byte) {
		t.Helper()
		_, err := Decode(r.Key, data)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: %v, want ErrCorrupt", name, err)
		}
		if !strings.Contains(err.Error(), "MADR-12345/1a2b:3c/04") {
			t.Fatalf("%s: error %q does not name bucket/msgid", name, err)
		}
	}
	for n := range len(good) {
		check("truncated", good[:n])
	}
	for i := range good {
		for _, bit := range []byte{1, 0x80} {
			bad := bytes.Clone(good)
			bad[i] ^= bit
			check("bit flip", bad)
		}
	}
	check("trailing bytes", append(bytes.Clone(good), 0))
	v9 := bytes.Clone(good)
	v9[0] = 9
	check("unknown version", v9)
	if _, err := Decode(Key{Bucket: "MADR-12345", ID: "other"}, good); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("record under the wrong key: %v, want ErrCorrupt", err)
	}
}

// Decode's allocation bound (FORMAT.md): a valid record may hold about one
// segment id or a third of a map entry per byte, whose Go forms (a string
// header, a map slot) outweigh their encoding, hence the factor.
const (
	allocPerByte  = 32
	allocConstant = 4 << 10
)

// decodeAlloc returns the bytes Decode allocates for data, the least of a
// few runs so that a stray allocation elsewhere in the process is not
// counted, and Decode's error.
func decodeAlloc(k Key, data []byte) (uint64, error) {
	var err error
	least := uint64(math.MaxUint64)
	for range 3 {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, err = Decode(k, data)
		runtime.ReadMemStats(&m1)
		least = min(least, m1.TotalAlloc-m0.TotalAlloc)
		if least <= allocPerByte*uint64(len(data))+allocConstant {
			break
		}
	}
	return least, err
}

// checksummed appends a valid checksum to a version-1 body.
func checksummed(body []byte) []byte {
	return binrec.Seal(body)
}

// TestDecodeAllocBound checks a record claiming more map entries or segment
// ids than it holds fails without allocating for them, and a record that
// really holds a million empty segment ids stays within the documented
// bound.
func TestDecodeAllocBound(t *testing.T) {
	k := Key{Bucket: "a", ID: "a"}
	const n = 1 << 20
	head := []byte{1, 1, 'a', 1, 'a', 0, 0, 0} // bucket, id, mail from, rcpt to, raw
	claimMap := binary.AppendUvarint(bytes.Clone(head), n)
	claimMap = checksummed(append(claimMap, make([]byte, n)...))
	claimSegs := append(bytes.Clone(head), 0, 0, 0, 0, 0, 0) // maps, origin strings
	claimSegs = binary.AppendUvarint(claimSegs, n)
	claimSegs = checksummed(append(claimSegs, bytes.Repeat([]byte{0xff}, n)...))
	for name, data := range map[string][]byte{"map count": claimMap, "segment count": claimSegs} {
		a, err := decodeAlloc(k, data)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s claimed beyond the entries: %v, want ErrCorrupt", name, err)
		}
		if a > uint64(len(data))+allocConstant {
			t.Errorf("%s claimed beyond the entries: %d bytes allocated for a %d-byte record", name, a, len(data))
		}
	}
	segs := &Record{Key: k, Origin: Origin{Segments: make([]string, n)}}
	data, err := Encode(segs)
	if err != nil {
		t.Fatal(err)
	}
	a, err := decodeAlloc(k, data)
	if err != nil {
		t.Fatal(err)
	}
	if a > allocPerByte*uint64(len(data))+allocConstant {
		t.Errorf("a million empty segment ids: %d bytes allocated for a %d-byte record", a, len(data))
	}
}

func FuzzDecode(f *testing.F) {
	k := fixtureV1().Key
	for _, r := range []*Record{fixtureV1(), {Key: k}} {
		data, err := Encode(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if a, _ := decodeAlloc(k, data); a > allocPerByte*uint64(len(data))+allocConstant {
			t.Fatalf("Decode allocated %d bytes for %d bytes of input", a, len(data))
		}
		r, err := Decode(k, data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := Encode(r)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		r2, err := Decode(k, again)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("decode(encode(decode(x))) differs: %v", err)
		}
	})
}
