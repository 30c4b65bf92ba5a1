package message

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary bytes through the parser and every read path:
// it must never panic, and an unmodified tree must serialise to the input.
func FuzzParse(f *testing.F) {
	f.Add([]byte(multipartMsg))
	f.Add([]byte("Subject: =?utf-8?q?x?=\r\n\r\nbody"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\n\n--b\nX: 1\n\nx\n--b--\n"))
	f.Add([]byte("Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n"))
	f.Add([]byte(" leading space\r\n"))
	f.Add([]byte("Subject: no line break"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := FromRaw("a@b", "c@d", raw)
		root := m.Root()
		if got := root.Bytes(); !bytes.Equal(got, raw) {
			t.Fatalf("round trip:\n got %q\nwant %q", got, raw)
		}
		for p := root; p != nil; p = p.Next() {
			_ = p.ContentInfo()
			_, _ = p.Text()
		}
		_ = m.Texts()
		_ = m.HeaderValues("Subject")
		_, _ = AddressHeader(&root.Header, "To", "domain")
		_ = m.SetHeader("X-Fuzz", []string{"ü"}, ModePrepend)
		_ = m.SetHeader("X-Fuzz-End", []string{"e"}, ModeAppend)
		again := FromRaw("", "", m.Raw())
		if v := again.HeaderValues("X-Fuzz"); len(v) == 0 || v[0] != "ü" {
			t.Fatalf("prepended header lost: %q", v)
		}
		if v := again.HeaderValues("X-Fuzz-End"); len(v) == 0 || v[len(v)-1] != "e" {
			t.Fatalf("appended header lost: %q\n%q", v, m.Raw())
		}
	})
}
