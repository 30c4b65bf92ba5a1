package mm7

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

const reportDoc = `<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>` +
	`<DeliveryReportReq xmlns="` + DefaultNamespace + `"><MM7Version>6.8.0</MM7Version><MessageID>m</MessageID>` +
	`<Recipient><Number>1</Number></Recipient><Sender><ShortCode>4321</ShortCode></Sender><Date>2026-01-01T00:00:00Z</Date>` +
	`<MMStatus>Expired</MMStatus><StatusText>Message expir%s</StatusText></DeliveryReportReq></env:Body></env:Envelope>`

func statusText(t *testing.T, env *Envelope, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return env.Body.(*DeliveryReportReq).StatusText
}

// RFC 7303 §3: the charset parameter of the MIME type decides a
// document's encoding when there is no byte order mark, over the XML
// declaration (which this document lacks).
func TestCharsetFromMediaType(t *testing.T) {
	latin1 := strings.Replace(reportDoc, "%s", "\xe9", 1)
	env, err := Decode("text/xml; charset=ISO-8859-1", []byte(latin1), Limits{})
	if got := statusText(t, env, err); got != "Message expiré" {
		t.Errorf("StatusText %q", got)
	}
	// In a SOAP part of a multipart body, the part's own Content-Type.
	mp := "--b\r\nContent-Type: text/xml; charset=iso-8859-1\r\n\r\n" + latin1 + "\r\n--b--\r\n"
	env, err = Decode(`multipart/related; boundary=b; type="text/xml"`, []byte(mp), Limits{})
	if got := statusText(t, env, err); got != "Message expiré" {
		t.Errorf("multipart StatusText %q", got)
	}
	// A declaration that disagrees with the parameter loses.
	declared := strings.Replace(latin1, `<?xml version="1.0"?>`, `<?xml version="1.0" encoding="UTF-8"?>`, 1)
	env, err = Decode("text/xml; charset=ISO-8859-1", []byte(declared), Limits{})
	if got := statusText(t, env, err); got != "Message expiré" {
		t.Errorf("declared StatusText %q", got)
	}
	// Without a parameter, UTF-8 text reads as before.
	env, err = Decode("text/xml", []byte(strings.Replace(reportDoc, "%s", "é", 1)), Limits{})
	if got := statusText(t, env, err); got != "Message expiré" {
		t.Errorf("UTF-8 StatusText %q", got)
	}
}

// The start parameter names the SOAP part in another case than its
// Content-ID; the SOAP part comes second; and it is base64-encoded.
func TestSOAPPartFoundAndDecoded(t *testing.T) {
	doc := strings.Replace(reportDoc, "%s", "ed", 1)
	mp := "--b\r\nContent-Type: image/gif\r\nContent-ID: <c1>\r\n\r\nGIF\r\n--b\r\nContent-Type: text/xml\r\nContent-ID: <Soap>\r\n\r\n" + doc + "\r\n--b--\r\n"
	env, err := Decode(`multipart/related; boundary=b; type="text/xml"; start="<soap>"`, []byte(mp), Limits{})
	if got := statusText(t, env, err); got != "Message expired" {
		t.Errorf("start in another case: %q", got)
	}
	b64 := "--b\r\nContent-Type: text/xml\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64lines(doc) + "\r\n--b--\r\n"
	env, err = Decode(`multipart/related; boundary=b; type="text/xml"`, []byte(b64), Limits{})
	if got := statusText(t, env, err); got != "Message expired" {
		t.Errorf("base64 SOAP part: %q", got)
	}
}

func b64lines(s string) string {
	var out strings.Builder
	enc := []byte(base64Std(s))
	for len(enc) > 76 {
		out.Write(enc[:76])
		out.WriteString("\r\n")
		enc = enc[76:]
	}
	out.Write(enc)
	return out.String()
}

// A DeliverReq without a Content element whose MM comes as several loose
// attachments keeps them all, as one multipart/related.
func TestLooseAttachmentsKept(t *testing.T) {
	soap := `<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><DeliverReq xmlns="` + DefaultNamespace +
		`"><MM7Version>6.8.0</MM7Version><Sender><Number>447700900555</Number></Sender></DeliverReq></env:Body></env:Envelope>`
	body := "--b\r\nContent-Type: text/xml\r\n\r\n" + soap +
		"\r\n--b\r\nContent-Type: image/jpeg\r\nContent-ID: <pic>\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4A==\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: application/smil\r\nContent-ID: <pres>\r\n\r\n<smil/>\r\n--b--\r\n"
	env, err := Decode("multipart/related; boundary=b; type=text/xml", []byte(body), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	c := env.Body.(*DeliverReq).Content
	if c == nil {
		t.Fatal("content dropped")
	}
	mt, params := c.MediaType()
	if mt != "multipart/related" || params["type"] != "application/smil" || params["start"] != "<pres>" {
		t.Errorf("content type %s %v", mt, params)
	}
	parts, err := c.Parts()
	if err != nil || len(parts) != 3 {
		t.Fatalf("parts %d %v", len(parts), err)
	}
	var types []string
	for _, p := range parts {
		mt, _ := p.MediaType()
		types = append(types, mt)
	}
	if strings.Join(types, " ") != "application/smil image/jpeg text/plain" {
		t.Errorf("parts %v", types)
	}
}

// A file name that decodes (RFC 2231) to a line break and a header field
// neither becomes a field of the generated presentation nor reaches the
// relay.
func TestFileNameCannotAddHeaderFields(t *testing.T) {
	pic := &Entity{Header: []Field{{"Content-Type", "image/gif; name*=utf-8''x.gif%0D%0AX-Injected%3A%20yes"},
		{"Content-Transfer-Encoding", "base64"}}, Body: []byte("R0lGODlhAQABAAAAACw=")}
	c := Presentation([]*Entity{pic}, "b")
	if strings.Contains(string(c.Bytes()), "\r\nX-Injected") {
		t.Fatalf("field injected:\n%s", c.Bytes())
	}
	if got := pic.Get("Content-Location"); got != "part1.gif" {
		t.Errorf("Content-Location %q", got)
	}
	for name, ok := range map[string]bool{"photo.jpg": true, "a b.jpg": false, "../x": false, "caf\xc3\xa9.jpg": false, "..": false} {
		if safeName(name) != ok {
			t.Errorf("safeName(%q) = %v", name, !ok)
		}
	}
	// Content whose header holds a line break is refused, not written.
	bad := &Entity{Header: []Field{{"Content-Type", "text/plain"}, {"Content-Location", "x\r\nBcc: a@example.com"}}, Body: []byte("x")}
	_, _, err := Style{}.Encode(&Envelope{TransactionID: "t", Body: &SubmitReq{MM7Version: "6.8.0",
		Recipients: Recipients{To: []Address{{Kind: Number, Value: "1"}}}, Content: bad}})
	if err == nil || !strings.Contains(err.Error(), "line break") {
		t.Errorf("Encode: %v", err)
	}
	if strings.Contains(string(bad.Bytes()), "\r\nBcc:") {
		t.Error("Bytes wrote the injected field")
	}
}

// SOAP 1.1 §4.4.1: an envelope in another SOAP version is a
// VersionMismatch, an unknown header block marked mustUnderstand a
// MustUnderstand fault.
func TestSOAPFaultCodes(t *testing.T) {
	soap12 := `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><x/></e:Body></e:Envelope>`
	_, err := ParseEnvelope([]byte(soap12), Limits{})
	var me *Error
	if !errors.As(err, &me) || me.Fault != "VersionMismatch" {
		t.Errorf("SOAP 1.2: %v", err)
	}
	mu := `<env:Envelope xmlns:env="` + SOAPNamespace + `"><env:Header><x:Charge xmlns:x="urn:x" env:mustUnderstand="1">1</x:Charge>` +
		`<x:Note xmlns:x="urn:x">ignored</x:Note></env:Header><env:Body><DeliveryReportRsp xmlns="` + DefaultNamespace +
		`"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode></Status></DeliveryReportRsp></env:Body></env:Envelope>`
	_, err = ParseEnvelope([]byte(mu), Limits{})
	if !errors.As(err, &me) || me.Fault != "MustUnderstand" || !strings.Contains(me.Text, "Charge") {
		t.Errorf("mustUnderstand: %v", err)
	}
	optional := strings.Replace(mu, ` env:mustUnderstand="1"`, "", 1)
	if _, err := ParseEnvelope([]byte(optional), Limits{}); err != nil {
		t.Errorf("an optional header block refused: %v", err)
	}
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
