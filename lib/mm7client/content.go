package mm7client

import (
	"strings"

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
	subject = strings.TrimSpace(message.DecodeHeader(root.Header.Get("Subject")))
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

// collect gathers the leaves worth showing on a handset.
func collect(p *message.Part, out *[]*mm7.Entity) {
	if !p.IsContainer() {
		e := entityOf(p)
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

// unfold joins a folded header value onto one line.
func unfold(v string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r\n", " ", "\n", " ").Replace(v)), " ")
}
