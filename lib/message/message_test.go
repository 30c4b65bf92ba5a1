package message

import (
	"bytes"
	"strings"
	"testing"
)

const multipartMsg = "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>\r\n" +
	"To: Bob <bob+news@Example.COM>, carol@example.org\r\n" +
	"Subject: =?utf-8?B?SGVsbG8g4pyT?=\r\n" +
	"X-Long: first\r\n second\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n" +
	"\r\n" +
	"This is a preamble.\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=iso-8859-1\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Caf=E9 cr=E8me, soft=\r\n" +
	"break.\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+Q2Fmw6k8L3A+\r\n" +
	"--inner--\r\n" +
	"--outer\r\n" +
	"Content-Type: application/octet-stream; name=\"a.bin\"\r\n" +
	"Content-Disposition: attachment; filename=\"report.bin\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"AAECAw==\r\n" +
	"--outer--\r\n" +
	"epilogue\r\n"

func TestRoundTripUnmodified(t *testing.T) {
	for _, raw := range []string{
		multipartMsg,
		strings.ReplaceAll(multipartMsg, "\r\n", "\n"),
		"Subject: no body",
		"Subject: x\r\n\r\n",
		"not a header line\r\nbody\r\n",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX: 1\r\n\r\nunterminated",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b\r\n\r\nx\r\n--b--",
		"",
	} {
		m := FromRaw("a@b", "c@d", []byte(raw))
		root := m.Root()
		if got := string(root.Bytes()); got != raw {
			t.Errorf("round trip changed the message:\n got %q\nwant %q", got, raw)
		}
		// An edit that is undone must not disturb the rest.
		m.dirty = true
		if got := string(m.Raw()); got != raw {
			t.Errorf("serialised tree differs:\n got %q\nwant %q", got, raw)
		}
	}
}

func TestTree(t *testing.T) {
	m := FromRaw("", "", []byte(multipartMsg))
	root := m.Root()
	if !root.IsContainer() || len(root.Children()) != 2 {
		t.Fatalf("root: container=%v children=%d", root.IsContainer(), len(root.Children()))
	}
	var types []string
	for p := root; p != nil; p = p.Next() {
		types = append(types, p.MediaType())
	}
	want := "multipart/mixed multipart/alternative text/plain text/html application/octet-stream"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("walk = %s, want %s", got, want)
	}
	att := root.Children()[1]
	ci := att.ContentInfo()
	if !ci.IsAttachment || ci.Filename != "report.bin" || ci.Encoding != "base64" {
		t.Errorf("attachment info = %+v", ci)
	}
	if got := att.decodedBody(); !bytes.Equal(got, []byte{0, 1, 2, 3}) {
		t.Errorf("attachment decoded = %v", got)
	}
}

func TestHeaders(t *testing.T) {
	m := FromRaw("", "", []byte(multipartMsg))
	if got := m.HeaderValues("from"); len(got) != 1 || got[0] != "André <andre@example.com>" {
		t.Errorf("From = %q", got)
	}
	if got := m.HeaderValues("Subject"); got[0] != "Hello ✓" {
		t.Errorf("Subject = %q", got)
	}
	if got := m.HeaderValues("X-Long"); got[0] != "first second" {
		t.Errorf("X-Long = %q", got)
	}
	if err := m.SetHeader("X-A", []string{"1"}, ModeAppend); err != nil {
		t.Fatal(err)
	}
	_ = m.SetHeader("X-A", []string{"0"}, ModePrepend)
	_ = m.SetHeader("X-A", []string{"2", "3"}, ModeAppend)
	if got := strings.Join(m.HeaderValues("x-a"), ","); got != "0,1,2,3" {
		t.Errorf("X-A = %s", got)
	}
	_ = m.SetHeader("X-A", []string{"Grüße"}, ModeReplace)
	raw := string(m.Raw())
	if !strings.Contains(raw, "X-A: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n") {
		t.Errorf("non-ASCII not encoded:\n%s", raw)
	}
	if !strings.HasPrefix(raw, "X-A") == true && strings.Index(raw, "X-A") < strings.Index(raw, "Content-Type") {
		t.Errorf("replace must append at the end of the header")
	}
	// Re-parse: the edit survives and the body is untouched.
	again := FromRaw("", "", m.Raw())
	if got := again.HeaderValues("X-A"); len(got) != 1 || got[0] != "Grüße" {
		t.Errorf("re-parsed X-A = %q", got)
	}
	if !bytes.Equal(again.Body(), FromRaw("", "", []byte(multipartMsg)).Body()) {
		t.Errorf("body changed by a header edit")
	}
	_ = m.SetHeader("X-Inj", []string{"a\r\nBcc: evil@example.com"}, ModeReplace)
	if FromRaw("", "", m.Raw()).Root().Header.Has("Bcc") {
		t.Errorf("a line break in a value created a new field")
	}
	if !m.DelHeader("X-A") || m.DelHeader("X-A") {
		t.Errorf("DelHeader result wrong")
	}
	if err := m.SetHeader("Bad Name", []string{"x"}, ""); err == nil {
		t.Errorf("invalid name accepted")
	}
	if err := m.SetHeader("X", []string{"x"}, "sideways"); err == nil {
		t.Errorf("invalid mode accepted")
	}
}

func TestText(t *testing.T) {
	m := FromRaw("", "", []byte(multipartMsg))
	got := m.Texts()
	if len(got) != 2 || got[0] != "Café crème, softbreak." || got[1] != "<p>Café</p>" {
		t.Fatalf("Texts = %q", got)
	}
	re, err := CompileRegexp(`Caf(é)`)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	ok, err := m.ReplaceText(re, "Tea$1")
	if !ok || err != nil {
		t.Fatalf("ReplaceText = %v, %v", ok, err)
	}
	again := FromRaw("", "", m.Raw())
	got = again.Texts()
	if got[0] != "Teaé crème, softbreak." || got[1] != "<p>Teaé</p>" {
		t.Errorf("after replace: %q", got)
	}
	// Encodings and charsets kept.
	parts := again.TextParts()
	if ci := parts[0].ContentInfo(); ci.Charset != "iso-8859-1" || ci.Encoding != "quoted-printable" {
		t.Errorf("part 1 = %+v", ci)
	}
	if ci := parts[1].ContentInfo(); ci.Encoding != "base64" {
		t.Errorf("part 2 = %+v", ci)
	}
	// The attachment is byte-identical.
	if !bytes.Equal(again.Root().Children()[1].Bytes(), FromRaw("", "", []byte(multipartMsg)).Root().Children()[1].Bytes()) {
		t.Errorf("attachment changed")
	}
}

func TestTextSevenBitBecomesQP(t *testing.T) {
	m := FromRaw("", "", []byte("Subject: x\r\n\r\nhello world\r\n"))
	re, _ := CompileRegexp("world")
	defer re.Close()
	if ok, _ := m.ReplaceText(re, "wörld"); !ok {
		t.Fatal("no replacement")
	}
	again := FromRaw("", "", m.Raw())
	p := again.Root()
	ci := p.ContentInfo()
	if ci.Encoding != "quoted-printable" || ci.Charset != "utf-8" {
		t.Errorf("content info %+v\n%s", ci, m.Raw())
	}
	if got := again.Texts()[0]; got != "hello wörld\r\n" {
		t.Errorf("text = %q", got)
	}
}

func TestSetText(t *testing.T) {
	m := FromRaw("", "", []byte(multipartMsg))
	if err := m.SetText("Grüße\nzwei", "text/plain", "iso-8859-1"); err != nil {
		t.Fatal(err)
	}
	again := FromRaw("", "", m.Raw())
	if again.Root().IsContainer() {
		t.Fatalf("still multipart:\n%s", m.Raw())
	}
	if got := again.Texts(); len(got) != 1 || got[0] != "Grüße\r\nzwei" {
		t.Errorf("Texts = %q", got)
	}
	ci := again.Root().ContentInfo()
	if ci.Charset != "iso-8859-1" || ci.Encoding != "quoted-printable" {
		t.Errorf("info = %+v", ci)
	}
	if got := again.HeaderValues("From"); len(got) != 1 {
		t.Errorf("other headers lost")
	}
	if err := m.SetText("plain", "", ""); err != nil {
		t.Fatal(err)
	}
	ci = FromRaw("", "", m.Raw()).Root().ContentInfo()
	if ci.MimeType != "text/plain" || ci.Encoding != "7bit" || ci.Charset != "utf-8" {
		t.Errorf("info = %+v", ci)
	}
}

func TestBody(t *testing.T) {
	m := FromRaw("", "", []byte("Subject: x\r\n\r\nline1\r\nline2\r\n"))
	if got := string(m.Body()); got != "line1\r\nline2\r\n" {
		t.Errorf("Body = %q", got)
	}
	m.SetBody([]byte("new\r\n.\r\n"))
	if got := string(m.Raw()); got != "Subject: x\r\n\r\nnew\r\n" {
		t.Errorf("Raw = %q", got)
	}
	m.SetBody([]byte("no terminator"))
	if got := string(m.Body()); got != "no terminator" {
		t.Errorf("Body = %q", got)
	}
	e := New()
	e.SetBody([]byte("only body\r\n"))
	if got := string(e.Raw()); got != "\r\nonly body\r\n" {
		t.Errorf("empty message body = %q", got)
	}
}

func TestTreeEdits(t *testing.T) {
	m := FromRaw("", "", []byte(multipartMsg))
	root := m.Root()
	alt := root.Children()[0]
	plain := alt.Children()[0]
	extra, err := m.MakePart("text/plain; charset=utf-8", []byte("Disclaimer ✓"), TEBase64)
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.AddLastChild(extra); err != ErrNotContainer {
		t.Errorf("AddLastChild on a leaf = %v", err)
	}
	if err := root.AddLastChild(extra); err != nil {
		t.Fatal(err)
	}
	first, _ := m.MakePart("text/plain", []byte("first"), TE7Bit)
	if err := root.AddFirstChild(first); err != nil {
		t.Fatal(err)
	}
	before, _ := m.MakePart("text/plain", []byte("before html"), TEQuotedPrintable)
	if err := before.InsertBefore(alt.Children()[1]); err != nil {
		t.Fatal(err)
	}
	after, _ := m.MakePart("text/plain", []byte("after plain"), TE8Bit)
	if err := after.InsertAfter(plain); err != nil {
		t.Fatal(err)
	}
	if err := root.AddLastChild(root); err != ErrCycle {
		t.Errorf("cycle = %v", err)
	}
	if err := first.InsertBefore(root); err != ErrNoParent {
		t.Errorf("insert next to root = %v", err)
	}
	again := FromRaw("", "", m.Raw())
	got := strings.Join(again.Texts(), "|")
	want := "first|Café crème, softbreak.|after plain|before html|<p>Café</p>|Disclaimer ✓"
	if got != want {
		t.Errorf("texts after edits:\n got %q\nwant %q\n%s", got, want, m.Raw())
	}
	// Unlink the alternative: its texts go.
	if !alt.Unlink() || alt.Unlink() {
		t.Errorf("Unlink result wrong")
	}
	again = FromRaw("", "", m.Raw())
	if got := strings.Join(again.Texts(), "|"); got != "first|Disclaimer ✓" {
		t.Errorf("after unlink: %q", got)
	}
	// A container made fresh and filled.
	c, err := m.MakeContainer("multipart/alternative", "", false)
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := m.MakePart("text/plain", []byte("one"), TE7Bit)
	_ = c.AddLastChild(p1)
	if err := root.AddLastChild(c); err != nil {
		t.Fatal(err)
	}
	again = FromRaw("", "", m.Raw())
	if got := strings.Join(again.Texts(), "|"); got != "first|Disclaimer ✓|one" {
		t.Errorf("after container: %q\n%s", got, m.Raw())
	}
	if _, err := m.MakeContainer("text/plain", "", false); err == nil {
		t.Errorf("non-multipart container accepted")
	}
	tc, _ := m.MakeContainer("multipart/mixed", "bnd", true)
	if got := string(tc.Bytes()); !strings.HasSuffix(got, "--bnd--\r\n.\r\n") {
		t.Errorf("terminator missing: %q", got)
	}
}

func TestNewBoundary(t *testing.T) {
	b := NewBoundary([]byte("x"))
	if b == "" || strings.Contains("x", b) {
		t.Errorf("boundary %q", b)
	}
	if NewBoundary() == NewBoundary() {
		t.Errorf("boundaries repeat")
	}
}

func TestAddressHeader(t *testing.T) {
	m := FromRaw("", "", []byte(multipartMsg))
	h := &m.Root().Header
	cases := map[string]string{
		"":          "bob+news@Example.COM,carol@example.org",
		"all":       "bob+news@Example.COM,carol@example.org",
		"localpart": "bob+news,carol",
		"user":      "bob,carol",
		"detail":    "news,",
		"domain":    "Example.COM,example.org",
	}
	for comp, want := range cases {
		got, err := AddressHeader(h, "To", comp)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("%q: %q, %v; want %q", comp, got, err, want)
		}
	}
	if _, err := AddressHeader(h, "To", "nope"); err == nil {
		t.Errorf("bad component accepted")
	}
	bad := FromRaw("", "", []byte("To: broken <a@b.c>, , junk x@y.z (\r\n\r\n"))
	got, _ := AddressHeader(&bad.Root().Header, "To", "domain")
	if strings.Join(got, ",") != "b.c,y.z" {
		t.Errorf("fallback = %q", got)
	}
}

func TestCodesAndDiscard(t *testing.T) {
	cases := []struct {
		num  int
		text string
		want string
	}{
		{421, "Too much spam.", "421 Too much spam."},
		{0, "554 5.7.1 no", "554 5.7.1 no"},
		{550, "line one\nline two", "550-line one\r\n550 line two"},
		{0, "451-a\r\n451 b", "451-a\r\n451 b"},
	}
	for _, c := range cases {
		if got := FormatCode(c.num, c.text); got != c.want {
			t.Errorf("FormatCode(%d, %q) = %q, want %q", c.num, c.text, got, c.want)
		}
	}
	m := New()
	m.Discard("")
	if !m.Discarded || m.Code != DiscardCode {
		t.Errorf("discard default: %v %q", m.Discarded, m.Code)
	}
	m.Discard("spam")
	if m.Code != DiscardInternalCode {
		t.Errorf("discard plain reason: %q", m.Code)
	}
	m.Discard("554 5.7.1 go away")
	if m.Code != "554 5.7.1 go away" {
		t.Errorf("discard with code: %q", m.Code)
	}
}

func TestEnvelopeAndRouting(t *testing.T) {
	m := FromRaw("Alice@Example.com", "15551234@SMPP.example.com", nil)
	if l, d, _ := m.Envelope(EnvFrom); l != "Alice" || d != "Example.com" {
		t.Errorf("from = %q %q", l, d)
	}
	if l, d, _ := m.Envelope(EnvTo | EnvComplete); l != "15551234@SMPP.example.com" || d != "" {
		t.Errorf("to complete = %q %q", l, d)
	}
	if _, _, err := m.Envelope(EnvFrom | EnvTo); err == nil {
		t.Errorf("FROM|TO accepted")
	}
	if got := m.RoutingDomainOf(); got != "smpp.example.com" {
		t.Errorf("routing domain = %q", got)
	}
	m.RoutingDomain = "MM7.Example.com"
	if got := m.RoutingDomainOf(); got != "mm7.example.com" {
		t.Errorf("routing domain = %q", got)
	}
	for flag, want := range map[string]string{"": "10.1.2.3:25", "all": "10.1.2.3:25", "ip": "10.1.2.3", "port": "25"} {
		if got, _ := HostPort("10.1.2.3:25", flag); got != want {
			t.Errorf("HostPort %q = %q", flag, got)
		}
	}
	if got, _ := HostPort("[::1]:2525", "ip"); got != "::1" {
		t.Errorf("v6 ip = %q", got)
	}
}

func TestBuild(t *testing.T) {
	att := FromRaw("", "", []byte("Subject: inner\r\n\r\nattached body\r\n"))
	m := New()
	err := m.Build(
		[]Field{{"From", "a@example.com"}, {"Subject", "Grüße"}},
		[]Alternative{
			{ContentType: "text/plain", Content: []byte("plain ✓ text")},
			{ContentType: "text/html; charset=utf-8", Content: []byte("<b>html</b>")},
		},
		[]Attachment{
			{Type: "text/csv", Name: "./data.csv", Headers: "X-Extra: 1", Content: []byte("a,b\n1,2\n")},
			{Type: "application/octet-stream", Name: "blob.bin", Content: []byte{0, 1, 2, 250}, Binary: true},
			{Message: att},
		})
	if err != nil {
		t.Fatal(err)
	}
	again := FromRaw("", "", m.Raw())
	root := again.Root()
	if root.MediaType() != "multipart/mixed" || len(root.Children()) != 4 {
		t.Fatalf("structure wrong:\n%s", m.Raw())
	}
	alt := root.Children()[0]
	if alt.MediaType() != "multipart/alternative" || len(alt.Children()) != 2 {
		t.Fatalf("alternative wrong")
	}
	if ci := alt.Children()[0].ContentInfo(); ci.Encoding != "quoted-printable" {
		t.Errorf("text/plain without charset: %+v", ci)
	}
	if ci := alt.Children()[1].ContentInfo(); ci.Encoding != "base64" {
		t.Errorf("text/html with charset: %+v", ci)
	}
	if got := again.Texts(); got[0] != "plain ✓ text" || got[1] != "<b>html</b>" {
		t.Errorf("texts = %q", got)
	}
	csv := root.Children()[1]
	if ci := csv.ContentInfo(); ci.Filename != "data.csv" || !ci.IsAttachment || ci.Encoding != "quoted-printable" {
		t.Errorf("csv = %+v", ci)
	}
	if csv.Header.Get("X-Extra") != "1" {
		t.Errorf("attachment header lost")
	}
	if got := root.Children()[2].decodedBody(); !bytes.Equal(got, []byte{0, 1, 2, 250}) {
		t.Errorf("binary = %v", got)
	}
	if mt := root.Children()[3].MediaType(); mt != "message/rfc822" {
		t.Errorf("message attachment = %s", mt)
	}
	if got := again.HeaderValues("Subject"); got[0] != "Grüße" {
		t.Errorf("subject = %q", got)
	}
	if err := m.Build(nil, nil, nil); err != ErrNotEmpty {
		t.Errorf("build on non-empty = %v", err)
	}
	f, err := att.Forward("fw@example.com", "x@example.com,y@example.com", "see below", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.HeaderValues("Subject"); got[0] != "Fwd: inner" {
		t.Errorf("forward subject = %q", got)
	}
}

func TestClone(t *testing.T) {
	m := FromRaw("a@b", "c@d", []byte(multipartMsg))
	_ = m.SetHeader("X-Edit", []string{"1"}, "")
	c := m.Clone()
	if c.ID == m.ID || !bytes.Equal(c.Raw(), m.Raw()) {
		t.Fatalf("clone differs")
	}
	_ = c.SetHeader("X-Edit", []string{"2"}, "")
	if m.HeaderValues("X-Edit")[0] != "1" {
		t.Errorf("clone shares state")
	}
}

// TestCloneSharesContent checks a clone holds the original's bytes, not a
// copy (one message for many recipients is held once), and that an edit of
// either, header or body, leaves the other as it was.
func TestCloneSharesContent(t *testing.T) {
	m := FromRaw("a@b", "c@d", []byte("Subject: one\r\n\r\n"+strings.Repeat("line of the body\r\n", 1000)))
	orig := bytes.Clone(m.Raw())
	c1, c2 := m.Clone(), m.Clone()
	if &c1.Raw()[0] != &m.Raw()[0] || &c2.Raw()[0] != &m.Raw()[0] {
		t.Fatalf("clones copied the content")
	}
	_ = c1.SetHeader("Subject", []string{"edited"}, ModeReplace)
	c2.Root().SetBody([]byte("new body\r\n"))
	if !bytes.Equal(m.Raw(), orig) {
		t.Fatalf("editing clones changed the original")
	}
	if got := c1.HeaderValues("Subject"); len(got) != 1 || got[0] != "edited" || !bytes.Contains(c1.Raw(), []byte("line of the body")) {
		t.Errorf("header-edited clone %q", c1.Raw()[:40])
	}
	if !bytes.HasSuffix(c2.Raw(), []byte("\r\n\r\nnew body\r\n")) || c2.HeaderValues("Subject")[0] != "one" {
		t.Errorf("body-edited clone %q", c2.Raw())
	}
}

func TestRegexp(t *testing.T) {
	re, err := CompileRegexp(`(?P<word>w\w+)|(x)`)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	m, err := re.Find([]byte("hello world"))
	if err != nil || m == nil || m.Groups[0] != "world" || m.Groups[1] != "world" || m.Set[2] || m.Names["word"] != 1 {
		t.Errorf("Find = %+v, %v", m, err)
	}
	out, n, _ := re.ReplaceAll([]byte("wax wig"), "<$1|${word}|$0|$$>")
	if n != 2 || string(out) != "<wax|wax|wax|$> <wig|wig|wig|$>" {
		t.Errorf("ReplaceAll = %q %d", out, n)
	}
	if _, err := CompileRegexp("("); err == nil {
		t.Errorf("bad pattern compiled")
	}
}

func TestHeaderEncoding(t *testing.T) {
	m := FromRaw("", "", []byte("Subject: x\r\n\r\nbody\r\n"))
	_ = m.SetHeader("From", []string{"Jörg Müller <j@example.com>"}, "")
	raw := string(m.Raw())
	if !strings.Contains(raw, "From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <j@example.com>\r\n") {
		t.Errorf("display name encoding:\n%s", raw)
	}
	got, _ := AddressHeader(&FromRaw("", "", m.Raw()).Root().Header, "From", "all")
	if len(got) != 1 || got[0] != "j@example.com" {
		t.Errorf("address after encoding = %q", got)
	}
	long := strings.Repeat("word ", 40) + "end"
	_ = m.SetHeader("X-Long", []string{long}, "")
	for _, l := range strings.Split(string(m.Raw()), "\r\n") {
		if len(l) > 78 {
			t.Errorf("line not folded: %q", l)
		}
	}
	if got := FromRaw("", "", m.Raw()).HeaderValues("X-Long")[0]; got != long {
		t.Errorf("folded value reads back as %q", got)
	}
	cases := map[string]string{
		"=?koi8-r?B?9MXT1Ao=?= and =?utf-8?q?caf=C3=A9?=": "=?koi8-r?B?9MXT1Ao=?= and café",
		"=?utf-8?q?a?= =?utf-8?q?b?=":                     "ab",
		"=?windows-1252?q?=80uro?=":                       "€uro",
		"=?broken":                                        "=?broken",
	}
	for in, want := range cases {
		if got := DecodeHeader(in); got != want {
			t.Errorf("DecodeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEightBit(t *testing.T) {
	raw := "Subject: =?iso-8859-1?q?caf=E9_cr=E8me?=\r\n" +
		"Content-Type: text/plain; charset=iso-8859-1\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		"Caf\xe9 au lait\r\n"
	m := FromRaw("", "", []byte(raw))
	if got := m.HeaderValues("Subject")[0]; got != "café crème" {
		t.Errorf("Subject = %q", got)
	}
	if got := m.Texts()[0]; got != "Café au lait\r\n" {
		t.Errorf("text = %q", got)
	}
	re, _ := CompileRegexp("lait")
	defer re.Close()
	if ok, err := m.ReplaceText(re, "crème"); !ok || err != nil {
		t.Fatalf("replace: %v %v", ok, err)
	}
	again := FromRaw("", "", m.Raw())
	ci := again.Root().ContentInfo()
	if ci.Encoding != "8bit" || ci.Charset != "iso-8859-1" {
		t.Errorf("8bit part changed encoding: %+v", ci)
	}
	if got := string(again.Body()); got != "Caf\xe9 au cr\xe8me\r\n" {
		t.Errorf("body = %q", got)
	}
	// UTF-8 straight in a header (RFC 6532) reads as is.
	u := FromRaw("", "", []byte("Subject: Grüße\r\n\r\n"))
	if got := u.HeaderValues("Subject")[0]; got != "Grüße" {
		t.Errorf("8-bit header = %q", got)
	}
}

func TestReplaceTextEndOfData(t *testing.T) {
	m := FromRaw("", "", []byte("Subject: x\r\n\r\nline\r\n.\r\n"))
	re, _ := CompileRegexp(`\r\n\.\r\n$`)
	defer re.Close()
	if ok, _ := m.ReplaceText(re, "\r\n.\r\nadded\r\n.\r\n"); !ok {
		t.Fatal("no match on the end-of-data line")
	}
	if got := string(m.Body()); got != "line\r\n.\r\n.\r\nadded\r\n" {
		t.Errorf("body = %q (a text line holding only a dot must survive)", got)
	}
}

// TestReplaceTextWithoutEndOfData: a pattern that does not match the whole
// end-of-data line never sees it, even when it matches a dot or a line
// break.
func TestReplaceTextWithoutEndOfData(t *testing.T) {
	for _, c := range []struct{ body, pat, repl, want string }{
		{"Hello. World.\r\nLine two\r\n", `\.`, "!", "Hello! World!\r\nLine two\r\n"},
		{"A\r\nB\r\n", "\r\n", "<br>", "A<br>B<br>"},
		{"A\r\nB\r\n", `\s+$`, "", "A\r\nB"},
		{"hello", "hello", "bye", "bye"},
		{"hello", "\r\n.\r\n", "\r\nDISCLAIMER\r\n.\r\n", "hello\r\nDISCLAIMER\r\n"},
	} {
		m := FromRaw("", "", []byte("Subject: x\r\n\r\n"+c.body))
		re, err := CompileRegexp(c.pat)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := m.ReplaceText(re, c.repl)
		re.Close()
		if !ok || err != nil {
			t.Errorf("%q: ok %v, err %v", c.pat, ok, err)
		}
		if got := string(m.Body()); got != c.want {
			t.Errorf("%q on %q: body = %q, want %q", c.pat, c.body, got, c.want)
		}
	}
}

// TestBuildHeaderInjection: neither an attachment's name nor its extra
// headers can add header fields or end the part's header early.
func TestBuildHeaderInjection(t *testing.T) {
	m := New()
	err := m.Build(nil, nil, []Attachment{{Name: "a.txt\r\nX-Evil: 1", Content: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	part := FromRaw("", "", m.Raw()).Root().Children()[1]
	if part.Header.Has("X-Evil") {
		t.Errorf("name smuggled a header field:\n%s", m.Raw())
	}
	if ci := part.ContentInfo(); ci.Filename != "a.txtX-Evil: 1" {
		t.Errorf("filename = %q", ci.Filename)
	}
	for _, h := range []string{"X-A: 1\r\n\r\nX-B: 2", "not a field", " continuation first", "X-A: 1\nbad line"} {
		if err := New().Build(nil, nil, []Attachment{{Headers: h, Content: []byte("x")}}); err == nil {
			t.Errorf("headers %q accepted", h)
		}
	}
	m = New()
	if err := m.Build(nil, nil, []Attachment{{Headers: "X-A: 1\n  folded\r\nX-B: 2\r\n", Content: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	part = FromRaw("", "", m.Raw()).Root().Children()[1]
	if part.Header.Get("X-A") != "1  folded" || part.Header.Get("X-B") != "2" {
		t.Errorf("extra headers lost:\n%s", m.Raw())
	}
}

// TestBuildBoundaryAvoidsContent: Build's boundaries never occur in the
// content they enclose.
func TestBuildBoundaryAvoidsContent(t *testing.T) {
	defer func(r func([]byte) (int, error)) { randRead = r }(randRead)
	var n byte
	randRead = func(b []byte) (int, error) {
		for i := range b {
			b[i] = n
		}
		n = (n + 1) % 4
		return len(b), nil
	}
	first := NewBoundary()
	n = 0
	content := []byte("--" + first + "\r\nX: 1\r\n")
	m := New()
	err := m.Build(nil, []Alternative{{ContentType: "text/plain; charset=utf-8", Content: content}}, []Attachment{{Content: content}})
	if err != nil {
		t.Fatal(err)
	}
	root := FromRaw("", "", m.Raw()).Root()
	if len(root.Children()) != 2 || len(root.Children()[0].Children()) != 1 {
		t.Fatalf("boundary %s found in the content was used:\n%s", first, m.Raw())
	}
}

// TestStaleChildren: after a container is re-parsed its old children are
// detached; edits against them fail instead of panicking or landing at
// index 0.
func TestStaleChildren(t *testing.T) {
	for name, edit := range map[string]func(p *Part){
		"ReplaceBody": func(p *Part) { p.ReplaceBody(p.BodyBytes()) },
		"SetBytes":    func(p *Part) { p.SetBytes(p.Bytes()) },
		"SetBody":     func(p *Part) { p.SetBody([]byte("flat\r\n")) },
	} {
		m := FromRaw("", "", []byte(multipartMsg))
		root := m.Root()
		old := root.Children()[0]
		edit(root)
		before := string(m.Raw())
		mk := func() *Part { p, _ := m.MakePart("text/plain", []byte("x"), TE7Bit); return p }
		if err := mk().InsertBefore(old); err != ErrNoParent {
			t.Errorf("%s: InsertBefore a stale child = %v", name, err)
		}
		if err := mk().InsertAfter(old); err != ErrNoParent {
			t.Errorf("%s: InsertAfter a stale child = %v", name, err)
		}
		if !old.Detached() || old.Unlink() {
			t.Errorf("%s: stale child not detached", name)
		}
		if string(m.Raw()) != before {
			t.Errorf("%s: message changed", name)
		}
	}
}

// TestAdoptRebinds: a part taken from another message edits the message
// it joins; no message's root can be adopted.
func TestAdoptRebinds(t *testing.T) {
	m, other := FromRaw("", "", []byte(multipartMsg)), New()
	p, _ := other.MakePart("text/plain", []byte("two"), TE7Bit)
	if err := m.Root().AddLastChild(p); err != nil {
		t.Fatal(err)
	}
	_ = m.Raw()
	_ = p.SetHeader("X-Late", []string{"1"}, ModeReplace)
	if !bytes.Contains(m.Raw(), []byte("X-Late: 1")) {
		t.Errorf("edit of an adopted part lost")
	}
	c, _ := m.MakeContainer("multipart/mixed", "", false)
	if err := c.AddLastChild(m.Root()); err != ErrRoot {
		t.Errorf("own root adopted: %v", err)
	}
	s := FromRaw("", "", []byte("Subject: s\r\n\r\nx\r\n"))
	if err := m.Root().AddLastChild(s.Root()); err != ErrRoot {
		t.Errorf("another root adopted: %v", err)
	}
}

// TestBoundaries: RFC 2046 boundaries only, and none that clashes with an
// enclosing container's.
func TestBoundaries(t *testing.T) {
	for _, b := range []string{"", "a\"b", "a\r\nb", strings.Repeat("x", 71), "end ", "é"} {
		if CheckBoundary(b) == nil {
			t.Errorf("boundary %q accepted", b)
		}
	}
	for _, b := range []string{"x", strings.Repeat("x", 70), "a b'()+_,-./:=?Z9"} {
		if err := CheckBoundary(b); err != nil {
			t.Errorf("boundary %q refused: %v", b, err)
		}
	}
	m := FromRaw("", "", []byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n"))
	if _, err := m.MakeContainer("multipart/mixed", "a\"b", false); err == nil {
		t.Errorf("MakeContainer took a bad boundary")
	}
	for _, b := range []string{"b", "b--"} {
		c, _ := m.MakeContainer("multipart/mixed", b, false)
		if err := m.Root().AddLastChild(c); err != ErrBoundary {
			t.Errorf("boundary %q next to b: %v", b, err)
		}
	}
}

// TestPreambleLineBreak: a preamble without a final line break gets one
// before the first delimiter.
func TestPreambleLineBreak(t *testing.T) {
	m := FromRaw("", "", []byte("Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble"))
	p, _ := m.MakePart("text/plain", []byte("x"), TE7Bit)
	if err := m.Root().AddLastChild(p); err != nil {
		t.Fatal(err)
	}
	again := FromRaw("", "", m.Raw()).Root()
	if len(again.Children()) != 1 {
		t.Fatalf("part lost:\n%q", m.Raw())
	}
}
