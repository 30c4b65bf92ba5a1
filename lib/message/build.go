package message

import (
	"errors"
	"mime"
	"path"
	"strings"
)

// Field is a header name and value.
type Field struct{ Name, Value string }

// Alternative is one body of multipart/alternative: its Content-Type and
// content.
type Alternative struct {
	ContentType string
	Content     []byte
}

// Attachment is one attachment of Build. Exactly one of Content and
// Message is used; Binary content (Momentum's io_object) is base64
// encoded, other content quoted-printable.
type Attachment struct {
	Type    string // Content-Type, e.g. "application/pdf"
	Name    string // file name
	Headers string // extra header lines, CRLF separated, no final CRLF
	Content []byte
	Binary  bool
	Message *Message // attached as message/rfc822; Type, Name, Headers ignored
}

// ErrNotEmpty is Build on a message that already has content.
var ErrNotEmpty = errors.New("msg:build needs an empty message (msys.core.ec_message_new)")

// Build writes a new message into an empty m, as Momentum's msg:build:
// multipart/mixed holding a multipart/alternative of the alternatives and
// then the attachments. A text/* alternative without a charset is
// quoted-printable, any other base64.
func (m *Message) Build(headers []Field, alts []Alternative, atts []Attachment) error {
	if len(m.Raw()) > 0 {
		return ErrNotEmpty
	}
	const nl = "\r\n"
	var b strings.Builder
	outer := NewBoundary()
	inner := NewBoundary()
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Content-Type") || strings.EqualFold(h.Name, "MIME-Version") {
			continue
		}
		if _, ok := fieldName([]byte(h.Name + ":")); !ok {
			return errors.New("invalid header name " + h.Name)
		}
		b.Write(formatField(h.Name, h.Value, nl))
	}
	b.WriteString("MIME-Version: 1.0" + nl)
	b.WriteString(`Content-Type: multipart/mixed; boundary="` + outer + `"` + nl + nl)

	b.WriteString("--" + outer + nl)
	b.WriteString(`Content-Type: multipart/alternative; boundary="` + inner + `"` + nl + nl)
	for _, a := range alts {
		mt, params, err := mime.ParseMediaType(a.ContentType)
		if err != nil {
			return errors.New("invalid content type " + a.ContentType)
		}
		te := TEBase64
		if strings.HasPrefix(mt, "text/") && params["charset"] == "" {
			te = TEQuotedPrintable
		}
		enc, body, _ := encodeBody(te, a.Content, nl)
		b.WriteString("--" + inner + nl)
		b.Write(formatField("Content-Type", a.ContentType, nl))
		b.WriteString("Content-Disposition: inline" + nl)
		b.WriteString("Content-Transfer-Encoding: " + enc + nl + nl)
		b.Write(body)
		if len(body) > 0 && !strings.HasSuffix(string(body), nl) {
			b.WriteString(nl)
		}
	}
	b.WriteString("--" + inner + "--" + nl)

	for _, a := range atts {
		b.WriteString("--" + outer + nl)
		if a.Message != nil {
			raw := a.Message.Raw()
			enc := "7bit"
			if !sevenBitClean(raw) {
				enc = "8bit"
			}
			b.WriteString(`Content-Type: message/rfc822; name="Attached Message"` + nl)
			b.WriteString("Content-Disposition: attachment" + nl)
			b.WriteString("Content-Transfer-Encoding: " + enc + nl + nl)
			b.Write(raw)
			if len(raw) > 0 && !strings.HasSuffix(string(raw), "\n") {
				b.WriteString(nl)
			}
			continue
		}
		typ := a.Type
		if typ == "" {
			typ = "application/octet-stream"
		}
		name := path.Base(strings.ReplaceAll(a.Name, "\\", "/"))
		if a.Name != "" {
			typ += "; name=" + quoteParam(name)
		}
		b.Write(formatField("Content-Type", typ, nl))
		if a.Name != "" {
			b.WriteString("Content-Disposition: attachment; filename=" + quoteParam(name) + nl)
		} else {
			b.WriteString("Content-Disposition: attachment" + nl)
		}
		if h := strings.TrimRight(a.Headers, "\r\n"); h != "" {
			b.WriteString(strings.ReplaceAll(strings.ReplaceAll(h, "\r\n", "\n"), "\n", nl) + nl)
		}
		te := TEQuotedPrintable
		if a.Binary {
			te = TEBase64
		}
		enc, body, _ := encodeBody(te, a.Content, nl)
		b.WriteString("Content-Transfer-Encoding: " + enc + nl + nl)
		b.Write(body)
		if len(body) > 0 && !strings.HasSuffix(string(body), nl) {
			b.WriteString(nl)
		}
	}
	b.WriteString("--" + outer + "--" + nl)
	m.SetRaw([]byte(b.String()))
	return nil
}

// quoteParam quotes a MIME parameter value, RFC 2047 encoding non-ASCII
// (what mail clients read in name= and filename=).
func quoteParam(v string) string {
	v = EncodeHeader(v)
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// Forward returns a new message from sender to rcpt (the To header; the
// caller injects it per recipient) holding text and the original message
// as message/rfc822 (msg:forward). subject defaults to "Fwd: " and the
// original subject, charset to UTF-8.
func (m *Message) Forward(sender, rcpt, text, subject, charset string) (*Message, error) {
	if subject == "" {
		subject = "Fwd: " + m.Root().Header.Get("Subject")
	}
	if charset == "" {
		charset = "utf-8"
	}
	body, ok := fromUTF8(charset, text)
	if !ok {
		charset, body = "utf-8", []byte(text)
	}
	f := New()
	f.MailFrom = sender
	f.Context = cloneMap(m.Context)
	err := f.Build(
		[]Field{{"From", sender}, {"To", rcpt}, {"Subject", subject}},
		[]Alternative{{ContentType: "text/plain; charset=" + charset, Content: body}},
		[]Attachment{{Message: m}},
	)
	if err != nil {
		return nil, err
	}
	return f, nil
}
