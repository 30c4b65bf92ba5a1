package mm7

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary HTTP bodies to Decode. Whatever comes in, it
// must return an envelope or an *Error (the code a SOAP fault reports),
// never panic; and what it accepts must encode, and decode again to the
// same encoding.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		in, _, _ := strings.Cut(string(data), separator)
		head, body, _ := strings.Cut(in, "\n\n")
		f.Add(strings.TrimSpace(strings.TrimPrefix(head, "Content-Type:")), []byte(body))
	}
	f.Add("multipart/related; boundary=x", []byte("--x\r\n\r\n<a/>\r\n--x--"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		env, err := Decode(contentType, body, Limits{})
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("error %v is not an *mm7.Error", err)
			}
			if me.Code < 2000 || me.Code >= 5000 {
				t.Fatalf("error code %d is not an MM7 error class", me.Code)
			}
			return
		}
		ct, out, err := goldenStyle.Encode(env)
		if err != nil {
			return // a decoded value XML cannot carry back (none known)
		}
		env2, err := Decode(ct, out, Limits{})
		if err != nil {
			t.Fatalf("own output does not decode: %v\n%s", err, out)
		}
		_, out2, err := goldenStyle.Encode(env2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("encoding is not stable (%v):\n%s\n---\n%s", err, out, out2)
		}
	})
}
