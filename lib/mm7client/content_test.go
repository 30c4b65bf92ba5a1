package mm7client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"msyshost/lib/message"
	"msyshost/lib/mm7client"
	"msyshost/lib/mmsc"
	"msyshost/lib/status"
)

// An old mailer writes the Subject raw in Latin-1. The MMS goes out with
// the Subject read as Latin-1; before, the submission failed for good
// (5.6.0, "characters XML cannot carry") and the message bounced.
func TestLatin1SubjectIsSent(t *testing.T) {
	f := setup(t, mmsc.Options{}, ``)
	m := message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte("Subject: Caf\xe9 \x01open\r\n\r\nhello\r\n"))
	if err := f.ch.Deliver(context.Background(), m); err != nil {
		t.Fatalf("%v (temporary %v)", err, status.IsTemporary(err))
	}
	if got := f.sim.Submissions()[0].Request.Subject; got != "Café \uFFFDopen" {
		t.Errorf("Subject %q", got)
	}
}

// Text goes to handsets as UTF-8: a Latin-1 part is transcoded and
// base64-encoded; a part without a Content-Type whose bytes are 8-bit is
// labelled what it is, not US-ASCII; text in a charset msyshost cannot
// convert goes as it came.
func TestTextPartsGoAsUTF8(t *testing.T) {
	f := setup(t, mmsc.Options{}, `mm7_soap_attachment_simple_mime = false`)
	mail := "Subject: menu\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n" +
		"--m\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 cr\xe8me\r\n" +
		"--m\r\n\r\nna\xc3\xafve\r\n" +
		"--m\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\nxOO6ww==\r\n" +
		"--m--\r\n"
	if err := f.ch.Deliver(context.Background(), message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte(mail))); err != nil {
		t.Fatal(err)
	}
	parts, err := f.sim.Submissions()[0].Request.Content.Parts()
	if err != nil || len(parts) != 4 {
		t.Fatalf("%d parts, %v", len(parts), err)
	}
	for i, want := range []struct{ charset, cte, text string }{
		{"utf-8", "base64", "Café crème"},
		{"utf-8", "base64", "naïve"},
		{"gb2312", "base64", "\xc4\xe3\xba\xc3"},
	} {
		p := parts[i+1] // after the SMIL
		_, params := p.MediaType()
		b, err := p.Decoded()
		if params["charset"] != want.charset || !strings.EqualFold(p.Get("Content-Transfer-Encoding"), want.cte) || err != nil || string(b) != want.text {
			t.Errorf("part %d: charset %q, %s, %q %v", i+1, params["charset"], p.Get("Content-Transfer-Encoding"), b, err)
		}
	}
}

// A file name that decodes to a line break and a header field does not
// add that field to the MMS.
func TestFileNameCannotAddHeaderFields(t *testing.T) {
	raw := "From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: image/gif; name*=utf-8''x.gif%0D%0AX-Injected%3A%20yes\r\nContent-Transfer-Encoding: base64\r\n\r\nR0lGODlhAQABAAAAACw=\r\n--b--\r\n"
	_, c := mm7client.ContentOf(message.FromRaw("a@example.com", "15551234@mm7.example.com", []byte(raw)), true)
	if strings.Contains(string(c.Bytes()), "\r\nX-Injected") {
		t.Fatalf("field injected:\n%s", c.Bytes())
	}
	ps, err := c.Parts()
	if err != nil || len(ps) != 3 || ps[2].Get("Content-Location") != "part2.gif" || ps[2].Get("X-Injected") != "" {
		t.Errorf("picture part %+v %v", ps, err)
	}
}

// A relay answering 413 will not take the message later either: a
// permanent 2004. A redirect is not followed (Go would resend the POST as
// a GET, without the message): the message is kept and the error says
// where the relay went.
func TestHTTPAnswersWithoutSOAP(t *testing.T) {
	var gets int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet:
			gets++
		case r.URL.Path == "/big":
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		case r.URL.Path == "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}
	}))
	defer ts.Close()
	ctx := context.Background()
	big := setupWith(t, nil, ts.URL+"/big", "")
	err := big.ch.Deliver(ctx, message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte("\r\nx")))
	if se, ok := status.Of(err); !ok || se.Temporary || se.Code != 2004 || se.Enhanced != "5.3.4" {
		t.Errorf("413: %v", err)
	}
	moved := setupWith(t, nil, ts.URL+"/moved", "")
	err = moved.ch.Deliver(ctx, message.FromRaw("a@example.com", "15557654321@mm7.example.com", []byte("\r\nx")))
	if !status.IsTemporary(err) || !strings.Contains(err.Error(), `redirecting to "/elsewhere"`) {
		t.Errorf("redirect: %v", err)
	}
	if gets != 0 {
		t.Errorf("the redirect was followed with %d GETs", gets)
	}
}
