package mm7

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"msyshost/lib/status"
)

func TestStatusClasses(t *testing.T) {
	for _, c := range []struct {
		code      int
		ok, temp  bool
		enhPrefix string
	}{
		{1000, true, false, ""},
		{1100, true, false, ""},
		{2002, false, false, "5.1.3"},
		{2003, false, false, "5.1.1"},
		{2099, false, false, "5."},
		{3000, false, true, "4."},
		{3001, false, true, "4."},
		{3002, false, false, "5.7.1"},
		{3999, false, true, "4."},
		{4000, false, true, "4."},
		// Improper identification is credentials: kept and retried, as
		// HTTP 401 is, until the config is fixed.
		{4001, false, true, "4.7.0"},
		{4006, false, true, "4."},
		{4099, false, false, "5."},
		{6102, false, true, "4."},
	} {
		st := Status{Code: c.code}
		if st.OK() != c.ok {
			t.Errorf("%d: OK = %v", c.code, st.OK())
		}
		err := st.Err()
		if c.ok {
			if err != nil {
				t.Errorf("%d: Err = %v", c.code, err)
			}
			continue
		}
		se, isStatus := status.Of(err)
		if !isStatus || se.Protocol != status.MM7 || se.Code != c.code {
			t.Fatalf("%d: Err = %#v", c.code, err)
		}
		if se.Temporary != c.temp || status.IsTemporary(err) != c.temp {
			t.Errorf("%d: temporary = %v, want %v", c.code, se.Temporary, c.temp)
		}
		if !strings.HasPrefix(se.Enhanced, c.enhPrefix) {
			t.Errorf("%d: enhanced %q, want prefix %q", c.code, se.Enhanced, c.enhPrefix)
		}
	}
	err := Status{Code: 2003, Details: "no such subscriber"}.Err()
	if !strings.Contains(err.Error(), "Address Not Found (no such subscriber)") {
		t.Errorf("error text %q", err)
	}
}

func TestCanonicalNamespace(t *testing.T) {
	for in, want := range map[string]string{
		"REL-5-MM7-1-2":                       NamespaceBase + "REL-5-MM7-1-2",
		NamespaceBase + "REL-5-MM7-1-0.xsd":   NamespaceBase + "REL-5-MM7-1-0",
		NamespaceBase + "rel-6-mm7-1-4/":      NamespaceBase + "REL-6-MM7-1-4",
		" " + NamespaceBase + "REL-6-MM7-1-0": NamespaceBase + "REL-6-MM7-1-0",
	} {
		got, ok := CanonicalNamespace(in)
		if !ok || got != want {
			t.Errorf("CanonicalNamespace(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := CanonicalNamespace("http://example.com/mm7"); ok {
		t.Error("a foreign namespace was accepted")
	}
}

// A submission built in Go travels as SOAP with attachments, and the relay
// side reads back the same request, content included.
func TestSubmitWithContentRoundTrip(t *testing.T) {
	text := &Entity{Header: []Field{{"Content-Type", "text/plain; charset=utf-8"}}, Body: []byte("hello\r\n")}
	pic := &Entity{Header: []Field{{"Content-Type", "image/png; name=dot.png"}, {"Content-Transfer-Encoding", "base64"}},
		Body: []byte("iVBORw0KGgo=")}
	content := Presentation([]*Entity{pic, text}, "pres-b")
	req := &SubmitReq{
		MM7Version: "6.8.0", VASPID: "v", VASID: "s",
		SenderAddress:  &Address{Kind: ShortCode, Value: "4321"},
		Recipients:     Recipients{To: []Address{{Kind: Number, Value: "15557654321"}}},
		DeliveryReport: Bool(true), Subject: "Holiday", Content: content,
	}
	ct, body, err := Style{}.Encode(&Envelope{TransactionID: "t1", Body: req})
	if err != nil {
		t.Fatal(err)
	}
	if req.ContentHref != "" {
		t.Error("Encode changed the caller's request")
	}
	if !strings.HasPrefix(ct, "multipart/related;") || !strings.Contains(ct, `type="text/xml"`) {
		t.Errorf("Content-Type %s", ct)
	}
	env, err := Decode(ct, body, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := env.Body.(*SubmitReq)
	if env.TransactionID != "t1" || env.Namespace != DefaultNamespace || got.Subject != "Holiday" ||
		got.SenderAddress.Kind != ShortCode || got.SenderAddress.Value != "4321" || !*got.DeliveryReport {
		t.Errorf("decoded %+v in %+v", got, env)
	}
	if got.Content == nil || !HasSMIL(got.Content) {
		t.Fatalf("content lost or without SMIL: %+v", got.Content)
	}
	parts, err := got.Content.Parts()
	if err != nil || len(parts) != 3 {
		t.Fatalf("parts %v %v", len(parts), err)
	}
	smil := string(parts[0].Body)
	for _, want := range []string{`<img src="cid:part1" region="Image"/>`, `<text src="cid:part2" region="Text"/>`} {
		if !strings.Contains(smil, want) {
			t.Errorf("SMIL lacks %s:\n%s", want, smil)
		}
	}
	if strings.Count(smil, "<par ") != 1 {
		t.Errorf("a picture and its text should share one slide:\n%s", smil)
	}
	if loc := parts[1].Get("Content-Location"); loc != "dot.png" {
		t.Errorf("picture named %q", loc)
	}
	if b, _ := parts[1].Decoded(); string(b) != "\x89PNG\r\n\x1a\n" {
		t.Errorf("picture bytes %q", b)
	}
}

func TestPresentationSlides(t *testing.T) {
	mk := func(ct string) *Entity { return &Entity{Header: []Field{{"Content-Type", ct}}} }
	c := Presentation([]*Entity{mk("text/plain"), mk("image/jpeg"), mk("image/gif"), mk("text/plain"), mk("audio/amr"), mk("application/pdf")}, "b")
	parts, err := c.Parts()
	if err != nil {
		t.Fatal(err)
	}
	smil := string(parts[0].Body)
	// text+img | img, text, audio, ref: a slide holds one of each kind
	if n := strings.Count(smil, "<par "); n != 2 {
		t.Errorf("%d slides:\n%s", n, smil)
	}
	if parts[2].Get("Content-Location") != "part2.jpg" || parts[6].Get("Content-Location") != "part6.bin" {
		t.Errorf("names %q %q", parts[2].Get("Content-Location"), parts[6].Get("Content-Location"))
	}
}

func TestLimits(t *testing.T) {
	many := "<env:Envelope xmlns:env=\"" + SOAPNamespace + "\"><env:Body><DeliveryReportRsp>" +
		strings.Repeat("<x/>", 5000) + "</DeliveryReportRsp></env:Body></env:Envelope>"
	_, err := Decode("text/xml", []byte(many), Limits{})
	var me *Error
	if !errors.As(err, &me) || me.Code != ValidationError || !strings.Contains(me.Text, "more than 4096 XML elements") {
		t.Errorf("many elements: %v", err)
	}
	var b strings.Builder
	b.WriteString("--b\r\nContent-Type: text/xml\r\n\r\n<x/>\r\n")
	for i := 0; i < 70; i++ {
		fmt.Fprintf(&b, "--b\r\nContent-ID: <p%d>\r\n\r\nx\r\n", i)
	}
	b.WriteString("--b--\r\n")
	_, err = Decode("multipart/related; boundary=b", []byte(b.String()), Limits{})
	if !errors.As(err, &me) || me.Code != MessageFormatCorrupt || !strings.Contains(me.Text, "more than 64 MIME parts") {
		t.Errorf("many parts: %v", err)
	}
	attrs := `<env:Envelope xmlns:env="` + SOAPNamespace + `"><env:Body><a`
	for i := 0; i < 40; i++ {
		attrs += fmt.Sprintf(` a%d="x"`, i)
	}
	_, err = Decode("text/xml", []byte(attrs+"/></env:Body></env:Envelope>"), Limits{})
	if !errors.As(err, &me) || !strings.Contains(me.Text, "more than 32 attributes") {
		t.Errorf("many attributes: %v", err)
	}
}

func TestMarshalRefusesNonXMLText(t *testing.T) {
	_, _, err := Style{}.Encode(&Envelope{Body: &SubmitRsp{MM7Version: "6.8.0", Status: NewStatus(1000), MessageID: "a\x01b"}})
	if err == nil || !strings.Contains(err.Error(), "SubmitRsp") {
		t.Errorf("got %v", err)
	}
}

func TestPrefixedBodyStyle(t *testing.T) {
	env := &Envelope{TransactionID: "x", Namespace: NamespaceBase + "REL-5-MM7-1-2",
		Body: &DeliveryReportRsp{MM7Version: "5.3.0", Status: NewStatus(Success)}}
	out, err := Style{EnvPrefix: "soapenv", Prefix: "m", PrefixBody: true}.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<soapenv:Envelope xmlns:soapenv=`, `<m:TransactionID xmlns:m="` + NamespaceBase + `REL-5-MM7-1-2" soapenv:mustUnderstand="1">x</m:TransactionID>`,
		`<m:DeliveryReportRsp xmlns:m=`, `<m:StatusCode>1000</m:StatusCode>`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
	back, err := Decode("text/xml", out, Limits{})
	if err != nil || back.Body.(*DeliveryReportRsp).Status.Code != 1000 {
		t.Errorf("prefixed body does not read back: %v", err)
	}
}
