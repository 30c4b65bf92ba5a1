package mm7client

import (
	"encoding/base64"
	"mime"
	"strings"
	"unicode/utf8"

	"msyshost/lib/message"
	"msyshost/lib/mm7"
)

// ContentOf makes the MMS content of an e-mail: its Subject, and its MIME
// parts as the SubmitReq attachment. A message that already is an MMS
// presentation (multipart/related with SMIL) goes as it is. Otherwise the
// media parts are collected (one alternative of each multipart/alternative,
// the plain text one when there is one) and a SMIL presentation is
// generated for them; a message that is only plain text goes as a bare
// text/plain part when simpleMIME (mm7_soap_attachment_simple_mime) allows.
// Parts keep their transfer encoding: the relay decodes them.
func ContentOf(m *message.Message, simpleMIME bool) (subject string, content *mm7.Entity) {
	root := m.Root()
	subject = plainText(message.DecodeHeader(root.Header.Get("Subject")))
	if root.IsContainer() {
		e := entityOf(root)
		if mm7.HasSMIL(e) {
			return subject, e
		}
	}
	var parts []*mm7.Entity
	collect(root, &parts)
	if len(parts) == 0 {
		parts = append(parts, &mm7.Entity{Header: []mm7.Field{{Name: "Content-Type", Value: "text/plain; charset=us-ascii"}}})
	}
	if len(parts) == 1 && simpleMIME {
		if mt, _ := parts[0].MediaType(); mt == "text/plain" {
			return subject, parts[0]
		}
	}
	return subject, mm7.Presentation(parts, mm7.NewBoundary())
}

// plainText makes header text fit for an MM7 element, which is XML and
// UTF-8: 8-bit bytes that are not UTF-8 (a Subject written raw in
// Latin-1, as old mailers do) are read as Latin-1, and what XML cannot
// carry becomes U+FFFD. An optional element's text never fails the
// submission.
func plainText(s string) string {
	if !utf8.ValidString(s) {
		s = latin1(s)
	}
	return strings.TrimSpace(mm7.CleanText(s))
}

func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// collect gathers the leaves worth showing on a handset.
func collect(p *message.Part, out *[]*mm7.Entity) {
	if !p.IsContainer() {
		e := entityOf(p)
		if p.IsText() {
			e = textEntity(p, e)
		}
		if mt, _ := e.MediaType(); strings.HasPrefix(mt, "text/") && len(strings.TrimSpace(string(e.Body))) == 0 {
			return // an empty text part (a signature separator, a blank body) shows nothing
		}
		*out = append(*out, e)
		return
	}
	kids := p.Children()
	if p.MediaType() == "multipart/alternative" && len(kids) > 0 {
		pick := kids[0]
		for _, k := range kids {
			if k.MediaType() == "text/plain" {
				pick = k
				break
			}
		}
		collect(pick, out)
		return
	}
	for _, k := range kids {
		collect(k, out)
	}
}

// contentFields are the header fields a part keeps in the MMS: what says
// what it is, not who sent it.
var contentFields = []string{"Content-Type", "Content-Transfer-Encoding", "Content-ID", "Content-Location", "Content-Disposition"}

// entityOf copies a part's content fields and its body as encoded.
func entityOf(p *message.Part) *mm7.Entity {
	e := &mm7.Entity{Body: p.BodyBytes()}
	for _, name := range contentFields {
		// Raw values: RFC 2047 words in a file name stay encoded.
		if vs := p.Header.RawValues(name); len(vs) > 0 && strings.TrimSpace(vs[0]) != "" {
			e.Header = append(e.Header, mm7.Field{Name: name, Value: unfold(vs[0])})
		}
	}
	if e.Get("Content-Type") == "" {
		e.Header = append([]mm7.Field{{Name: "Content-Type", Value: "text/plain; charset=us-ascii"}}, e.Header...)
	}
	return e
}

// textEntity re-encodes a text part for handsets: MMS clients render
// UTF-8 text reliably and little else, and relays pass 8-bit bodies on
// badly. Text in a charset the host converts (UTF-8, US-ASCII, ISO-8859-1,
// Windows-1252) goes as UTF-8, base64-encoded unless it is ASCII; a body
// labelled US-ASCII (or not labelled at all) that has 8-bit bytes is read
// as UTF-8 when it is, else as Latin-1. Text in another charset goes as it
// came, with its label.
func textEntity(p *message.Part, e *mm7.Entity) *mm7.Entity {
	mt, params := e.MediaType()
	if cs := params["charset"]; cs != "" && !message.KnownCharset(cs) {
		return e
	}
	text, _ := p.Text()
	if !utf8.ValidString(text) {
		text = latin1(text)
	}
	params["charset"] = "utf-8"
	out := &mm7.Entity{Header: []mm7.Field{{Name: "Content-Type", Value: mime.FormatMediaType(mt, params)}}}
	for _, f := range e.Header {
		if !strings.EqualFold(f.Name, "Content-Type") && !strings.EqualFold(f.Name, "Content-Transfer-Encoding") {
			out.Header = append(out.Header, f)
		}
	}
	if ascii(text) {
		out.Body = []byte(text)
		return out
	}
	out.Set("Content-Transfer-Encoding", "base64")
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	out.Body = []byte(b.String())
	return out
}

// ascii reports text that is 7-bit with lines SMTP and relays carry as is.
func ascii(s string) bool {
	line := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80 || c == 0:
			return false
		case c == '\n':
			line = 0
		default:
			if line++; line > 998 {
				return false
			}
		}
	}
	return true
}

// unfold joins a folded header value onto one line.
func unfold(v string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r\n", " ", "\n", " ").Replace(v)), " ")
}
