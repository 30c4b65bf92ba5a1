package message

import (
	"bytes"
	"errors"
	"fmt"
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
	// The boundaries must not occur in anything they will enclose.
	var avoid [][]byte
	for _, a := range alts {
		avoid = append(avoid, a.Content)
	}
	for _, a := range atts {
		if a.Message != nil {
			avoid = append(avoid, a.Message.Raw())
		} else {
			avoid = append(avoid, a.Content, []byte(a.Headers))
		}
	}
	outer := NewBoundary(avoid...)
	inner := NewBoundary(append(avoid, []byte(outer))...)
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
		// A line break in the name would end the quoted parameter's line
		// and start a header field of the script's choosing.
		name := strings.NewReplacer("\r", "", "\n", "").Replace(a.Name)
		name = path.Base(strings.ReplaceAll(name, "\\", "/"))
		disp := "attachment"
		if a.Name != "" {
			typ += "; name=" + quoteParam(name)
			disp += "; filename=" + quoteParam(name)
		}
		b.Write(formatField("Content-Type", typ, nl))
		b.Write(formatField("Content-Disposition", disp, nl))
		extra, err := attachmentHeaders(a.Headers, nl)
		if err != nil {
			return err
		}
		b.Write(extra)
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

// attachmentHeaders checks an attachment's extra header lines and returns
// them with nl line breaks. Every line must be a header field or a
// continuation: a blank line would end the part's header early and turn
// the rest into body.
func attachmentHeaders(s, nl string) ([]byte, error) {
	s = strings.TrimRight(s, "\r\n")
	if s == "" {
		return nil, nil
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var b bytes.Buffer
	for i, line := range strings.Split(s, "\n") {
		switch {
		case line == "":
			return nil, errors.New("attachment headers: blank line (it would end the header)")
		case line[0] == ' ' || line[0] == '\t':
			if i == 0 {
				return nil, fmt.Errorf("attachment headers: continuation line %q without a field", line)
			}
		default:
			if _, ok := fieldName([]byte(line)); !ok {
				return nil, fmt.Errorf("attachment headers: %q is not a header field", line)
			}
		}
		b.WriteString(line)
		b.WriteString(nl)
	}
	return b.Bytes(), nil
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
