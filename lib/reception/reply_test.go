package reception

import (
	"bufio"
	"fmt"
	"net/textproto"
	"strings"
	"testing"

	"msyshost/lib/msys/core"
	"msyshost/lib/status"
)

func TestReply(t *testing.T) {
	for _, c := range []struct {
		code          int
		in, enh, text string
	}{
		{550, "5.1.1 No such address", "5.1.1", "No such address"},
		{550, "No such address", "", "No such address"},
		{451, "4.7.1 Try later", "4.7.1", "Try later"},
		{550, "4.7.1 wrong class", "", "4.7.1 wrong class"},
		{550, "550-5.7.1 Not here\r\n550 5.7.1 nor there", "5.7.1", "Not here\nnor there"},
		{550, "Not here\nnor there\n", "", "Not here\nnor there"},
		{550, "5.7.1 a\rb", "5.7.1", "a\nb"},
		{550, "5.1.10 ten", "5.1.10", "ten"},
		{550, "5.1.1000 too long", "", "5.1.1000 too long"},
		{421, "", "", ""},
	} {
		err := reply(c.code, core.ReplyText(c.code, c.in))
		st, ok := status.Of(err)
		if !ok || st.Code != c.code || st.Enhanced != c.enh || st.Text != c.text || st.Temporary != (c.code < 500) {
			t.Errorf("reply(%d, %q) = %+v, want %d %q %q", c.code, c.in, err, c.code, c.enh, c.text)
		}
	}
	if reply(250, "fine") != nil {
		t.Error("a 2xx refused")
	}
}

// FuzzReply: whatever text a script gives set_code, the refusal keeps the
// script's code, its enhanced code is of the reply's class, and written as
// go-smtp writes a reply it reads back as one reply, with that code and
// those lines (no CR or LF of the text splits it).
func FuzzReply(f *testing.F) {
	for _, s := range []string{"5.1.1 No such address", "550-a\r\n550 b", "", "\r\n\r\n", "5.", "4.999.1 x", "5.1.1 a\rb", "x\n.\ny"} {
		f.Add(550, s)
		f.Add(451, s)
	}
	f.Fuzz(func(t *testing.T, code int, text string) {
		if !core.ValidReplyCode(code) || code < 400 {
			return
		}
		st, ok := status.Of(reply(code, core.ReplyText(code, text)))
		if !ok || st.Code != code {
			t.Fatalf("%d %q: refusal %+v lost the code", code, text, st)
		}
		if st.Enhanced != "" && !status.ValidEnhanced(st.Enhanced, code) {
			t.Fatalf("%d %q: enhanced code %q not of the reply's class", code, text, st.Enhanced)
		}
		if strings.ContainsRune(st.Text, '\r') {
			t.Fatalf("%d %q: CR in the text %q", code, text, st.Text)
		}
		enh := st.Enhanced
		if enh == "" {
			enh = fmt.Sprintf("%d.0.0", code/100)
		}
		lines := strings.Split(st.Text, "\n")
		var wire strings.Builder
		for _, l := range lines[:len(lines)-1] {
			fmt.Fprintf(&wire, "%d-%s\r\n", code, l)
		}
		fmt.Fprintf(&wire, "%d %s %s\r\n", code, enh, lines[len(lines)-1])
		r := textproto.NewReader(bufio.NewReader(strings.NewReader(wire.String())))
		got, msg, err := r.ReadResponse(code)
		lines[len(lines)-1] = enh + " " + lines[len(lines)-1]
		if err != nil || got != code || msg != strings.Join(lines, "\n") {
			t.Fatalf("%d %q: the reply on the wire %q reads back as %d %q (%v)", code, text, wire.String(), got, msg, err)
		}
		if _, err := r.ReadLine(); err == nil {
			t.Fatalf("%d %q: the reply on the wire %q is more than one reply", code, text, wire.String())
		}
	})
}
