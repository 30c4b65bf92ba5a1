package mm7

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"sort"
	"strings"
)

// Field is one MIME header field.
type Field struct{ Name, Value string }

// Entity is a MIME entity (RFC 2045): header fields in order and the body
// as transfer-encoded on the wire. The MMS content of a SubmitReq or
// DeliverReq is one, usually multipart/related with a SMIL presentation
// (TS 23.140 clause 8, "the MM content is carried as a SOAP attachment").
type Entity struct {
	Header []Field
	Body   []byte
}

// Get returns the first value of the named field, "" when absent.
func (e *Entity) Get(name string) string {
	for _, f := range e.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Set replaces every field of that name with one, or appends it.
func (e *Entity) Set(name, value string) {
	out := e.Header[:0]
	done := false
	for _, f := range e.Header {
		if strings.EqualFold(f.Name, name) {
			if !done {
				out = append(out, Field{name, value})
				done = true
			}
			continue
		}
		out = append(out, f)
	}
	e.Header = out
	if !done {
		e.Header = append(e.Header, Field{name, value})
	}
}

// MediaType returns the lower-case media type and its parameters;
// text/plain when there is no usable Content-Type (RFC 2045 §5.2).
func (e *Entity) MediaType() (string, map[string]string) {
	v := e.Get("Content-Type")
	if v == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, _ := parseMediaType(v)
	return mt, params
}

// parseMediaType reads a Content-Type value. Peers commonly leave
// parameter values that need quotes unquoted (`type=text/xml`, which RFC
// 2045 forbids since '/' is a tspecial); when the strict parse fails the
// value is read leniently: parameters split at ';', quotes stripped. err is
// set only when not even a media type can be read.
func parseMediaType(v string) (string, map[string]string, error) {
	mt, params, err := mime.ParseMediaType(v)
	if err == nil {
		return mt, params, nil
	}
	items := strings.Split(v, ";")
	mt = strings.ToLower(strings.TrimSpace(items[0]))
	params = map[string]string{}
	for _, it := range items[1:] {
		k, val, ok := strings.Cut(it, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		params[k] = val
	}
	if !strings.Contains(mt, "/") || strings.ContainsAny(mt, " \t\"") {
		return "", params, fmt.Errorf("Content-Type %q: no media type", v)
	}
	return mt, params, nil
}

// ContentID returns the Content-ID without its angle brackets.
func (e *Entity) ContentID() string {
	return strings.Trim(strings.TrimSpace(e.Get("Content-ID")), "<>")
}

// Bytes returns the entity as it goes on the wire: header, blank line,
// body.
func (e *Entity) Bytes() []byte {
	var b bytes.Buffer
	e.write(&b)
	return b.Bytes()
}

// write writes the entity. A line break in a field would end the field
// and start another one the entity never had (header injection), so CR,
// LF and NUL are written as spaces; Encode refuses such content before it
// gets here (CheckHeader).
func (e *Entity) write(b *bytes.Buffer) {
	for _, f := range e.Header {
		b.WriteString(headerSafe.Replace(f.Name) + ": " + headerSafe.Replace(f.Value) + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(e.Body)
}

var headerSafe = strings.NewReplacer("\r", " ", "\n", " ", "\x00", " ")

// CheckHeader reports a header field of e, or of a part inside it, whose
// name is not a field name or whose value holds a line break or NUL: what
// would let text from a message (a file name, a subject) add header fields
// of its own.
func (e *Entity) CheckHeader() error {
	n := 0
	return e.checkHeader(DefaultLimits, 0, &n)
}

func (e *Entity) checkHeader(lim Limits, depth int, count *int) error {
	for _, f := range e.Header {
		if f.Name == "" || strings.ContainsAny(f.Name, ": \t\r\n\x00") {
			return fmt.Errorf("MIME header field name %q", f.Name)
		}
		if strings.ContainsAny(f.Value, "\r\n\x00") {
			return fmt.Errorf("MIME header field %s holds a line break or NUL: %q", f.Name, f.Value)
		}
	}
	if !e.IsMultipart() || depth >= lim.PartDepth {
		return nil
	}
	ps, err := e.parts(lim, count)
	if err != nil {
		return nil // not multipart after all; nothing inside to check
	}
	for _, p := range ps {
		if err := p.checkHeader(lim, depth+1, count); err != nil {
			return err
		}
	}
	return nil
}

// Decoded returns the body with its Content-Transfer-Encoding undone.
func (e *Entity) Decoded() ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(e.Get("Content-Transfer-Encoding"))) {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, e.Body)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			return nil, fmt.Errorf("base64 body: %w", err)
		}
		return out[:n], nil
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(e.Body)))
		if err != nil {
			return nil, fmt.Errorf("quoted-printable body: %w", err)
		}
		return b, nil
	}
	return e.Body, nil
}

// IsMultipart reports a multipart entity with a boundary.
func (e *Entity) IsMultipart() bool {
	mt, params := e.MediaType()
	return strings.HasPrefix(mt, "multipart/") && params["boundary"] != ""
}

// Parts splits a multipart entity into its parts, within DefaultLimits.
func (e *Entity) Parts() ([]*Entity, error) {
	n := 0
	return e.parts(DefaultLimits, &n)
}

func (e *Entity) parts(lim Limits, count *int) ([]*Entity, error) {
	_, params := e.MediaType()
	if !e.IsMultipart() {
		return nil, errors.New("not a multipart entity")
	}
	return splitMultipart(e.Body, params["boundary"], lim, count)
}

// check walks a content entity's multipart structure so that a corrupt one
// is refused when it arrives, not when someone reads it.
func (e *Entity) check(lim Limits, depth int, count *int) error {
	if !e.IsMultipart() {
		return nil
	}
	if depth >= lim.PartDepth {
		return fmt.Errorf("MIME parts nested deeper than %d levels", lim.PartDepth)
	}
	ps, err := e.parts(lim, count)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := p.check(lim, depth+1, count); err != nil {
			return err
		}
	}
	return nil
}

func splitMultipart(body []byte, boundary string, lim Limits, count *int) ([]*Entity, error) {
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	var out []*Entity
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("multipart body: %w", err)
		}
		*count++
		if *count > lim.Parts {
			return nil, fmt.Errorf("more than %d MIME parts", lim.Parts)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, fmt.Errorf("multipart body: %w", err)
		}
		out = append(out, &Entity{Header: fields(p.Header), Body: b})
	}
	if len(out) == 0 {
		return nil, errors.New("multipart body without parts")
	}
	return out, nil
}

// fields turns a parsed header into fields, sorted by name so output is
// deterministic (textproto keeps no order).
func fields(h textproto.MIMEHeader) []Field {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		ci, cj := names[i] == "Content-Type", names[j] == "Content-Type"
		if ci != cj {
			return ci
		}
		return names[i] < names[j]
	})
	var out []Field
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, Field{k, v})
		}
	}
	return out
}

// NewMultipart builds a multipart entity of mediaType (such as
// "multipart/related") from parts, with extra Content-Type parameters.
func NewMultipart(mediaType, boundary string, params map[string]string, parts []*Entity) *Entity {
	ps := map[string]string{"boundary": boundary}
	for k, v := range params {
		ps[k] = v
	}
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n")
		p.write(&b)
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return &Entity{Header: []Field{{"Content-Type", mime.FormatMediaType(mediaType, ps)}}, Body: b.Bytes()}
}
