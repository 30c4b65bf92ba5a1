package binrec

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

// TestRoundTrip writes every kind of field and reads it back.
func TestRoundTrip(t *testing.T) {
	b := []byte{7}
	b = AppendString(b, "héllo")
	b = AppendMap(b, map[string]string{"b": "2", "a": "1"})
	b = binary.AppendUvarint(b, 3)
	for _, s := range []string{"x", "", "zz"} {
		b = AppendString(b, s)
	}
	b = binary.AppendVarint(b, -42)
	b = append(b, 1)
	sealed := Seal(b)
	body, err := Unseal(sealed)
	if err != nil || !bytes.Equal(body, b) {
		t.Fatalf("unsealed %x, %v", body, err)
	}
	d := NewDecoder(body[1:])
	s, m, list, v, flag := d.String("s"), d.StringMap("m"), d.Strings("list"), d.Varint("v"), d.Byte("flag")
	if err := d.End(); err != nil {
		t.Fatal(err)
	}
	if s != "héllo" || !reflect.DeepEqual(m, map[string]string{"a": "1", "b": "2"}) || !reflect.DeepEqual(list, []string{"x", "", "zz"}) || v != -42 || flag != 1 {
		t.Fatalf("read %q %v %q %d %d", s, m, list, v, flag)
	}
}

// TestDamage: every kind of damage is an error naming the field, and a
// count or length larger than what is left allocates nothing.
func TestDamage(t *testing.T) {
	sealed := Seal([]byte{1, 2, 'a', 'b'})
	sealed[2] ^= 1
	if _, err := Unseal(sealed); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("flipped bit: %v", err)
	}
	if _, err := Unseal([]byte{1, 2}); err == nil {
		t.Error("short record unsealed")
	}
	for name, tc := range map[string]struct {
		b    []byte
		read func(*Decoder)
		want string
	}{
		"long string":  {[]byte{200, 1, 'x'}, func(d *Decoder) { d.String("name") }, "name: length 200 exceeds"},
		"huge count":   {binary.AppendUvarint(nil, 1<<40), func(d *Decoder) { d.StringMap("ctx") }, "ctx: count"},
		"keys unorder": {AppendString(AppendString(AppendString(AppendString([]byte{2}, "b"), "1"), "a"), "2"), func(d *Decoder) { d.StringMap("ctx") }, "out of order"},
		"bad varint":   {[]byte{0xff}, func(d *Decoder) { d.Uvarint("n") }, "n: bad number"},
		"too big":      {binary.AppendUvarint(nil, 9), func(d *Decoder) { d.UvarintMax("n", 8) }, "n: 9 out of range"},
		"trailing":     {[]byte{0, 0}, func(d *Decoder) { d.Byte("b") }, "1 unexpected bytes"},
	} {
		d := NewDecoder(tc.b)
		tc.read(d)
		if err := d.End(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// FuzzDecoder reads arbitrary bytes as every kind of field: never a panic.
func FuzzDecoder(f *testing.F) {
	f.Add(AppendMap(AppendString(nil, "x"), map[string]string{"k": "v"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(b)
		d.String("s")
		d.StringMap("m")
		d.Strings("l")
		d.Varint("v")
		d.UvarintMax("u", 1<<31)
		d.Byte("b")
		d.End()
	})
}
