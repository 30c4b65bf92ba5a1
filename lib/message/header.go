package message

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// Header is a header block that keeps every field's bytes as they arrived,
// so an unmodified message serialises byte for byte. Field order is the
// wire order, top first.
type Header struct {
	fields []field
}

// field is one header field: its name as written and its raw bytes,
// "Name: value" with any continuation lines and the final line break.
type field struct {
	name string
	raw  []byte
}

// Header modes for SetHeader, as msg:header's third argument.
const (
	ModeReplace = "replace"
	ModePrepend = "prepend"
	ModeAppend  = "append"
)

// parseHeader splits b into header fields and the body. A blank line ends
// the header; a line that is neither a field nor a continuation also ends
// it (with no separator), so nothing is lost. sep is the separator line
// ("\r\n", "\n" or "" when the header ran into the body or the end).
func parseHeader(b []byte) (h Header, sep string, body []byte) {
	pos := 0
	for pos < len(b) {
		end := lineEnd(b, pos)
		line := b[pos:end]
		if isBlankLine(line) {
			return h, string(line), b[end:]
		}
		if (line[0] == ' ' || line[0] == '\t') && len(h.fields) > 0 {
			f := &h.fields[len(h.fields)-1]
			f.raw = append(f.raw, line...)
			pos = end
			continue
		}
		name, ok := fieldName(line)
		if !ok {
			return h, "", b[pos:]
		}
		h.fields = append(h.fields, field{name: name, raw: append([]byte(nil), line...)})
		pos = end
	}
	return h, "", nil
}

// lineEnd returns the index just past the line starting at pos, its line
// break included.
func lineEnd(b []byte, pos int) int {
	if i := bytes.IndexByte(b[pos:], '\n'); i >= 0 {
		return pos + i + 1
	}
	return len(b)
}

func isBlankLine(line []byte) bool {
	return string(line) == "\r\n" || string(line) == "\n"
}

// fieldName returns the name of a "Name: value" line; names are printable
// ASCII without colon or space (RFC 5322 §2.2).
func fieldName(line []byte) (string, bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", false
	}
	name := bytes.TrimRight(line[:i], " \t")
	if len(name) == 0 {
		return "", false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f {
			return "", false
		}
	}
	return string(name), true
}

// Bytes returns the header block as it will be written, without the
// separator line.
func (h *Header) Bytes() []byte {
	var b bytes.Buffer
	for _, f := range h.fields {
		b.Write(f.raw)
	}
	return b.Bytes()
}

// Len returns the number of fields.
func (h *Header) Len() int { return len(h.fields) }

// rawValue is a field's value unfolded and trimmed, still RFC 2047 encoded.
func (f field) rawValue() string {
	i := bytes.IndexByte(f.raw, ':')
	v := string(f.raw[i+1:])
	v = strings.ReplaceAll(v, "\r\n", "\n")
	v = strings.ReplaceAll(v, "\n", "")
	return strings.Trim(v, " \t\r")
}

// RawValues returns the undecoded values of every field named name (case
// insensitive), top first.
func (h *Header) RawValues(name string) []string {
	var out []string
	for _, f := range h.fields {
		if strings.EqualFold(f.name, name) {
			out = append(out, f.rawValue())
		}
	}
	return out
}

// Values returns the values of every field named name, top first, with RFC
// 2047 encoded words decoded to UTF-8.
func (h *Header) Values(name string) []string {
	raw := h.RawValues(name)
	for i, v := range raw {
		raw[i] = DecodeHeader(v)
	}
	return raw
}

// Get returns the first decoded value of name, "" when absent.
func (h *Header) Get(name string) string {
	if v := h.Values(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether a field named name exists.
func (h *Header) Has(name string) bool {
	for _, f := range h.fields {
		if strings.EqualFold(f.name, name) {
			return true
		}
	}
	return false
}

// Del removes every field named name and reports whether there was one.
func (h *Header) Del(name string) bool {
	kept := h.fields[:0]
	for _, f := range h.fields {
		if !strings.EqualFold(f.name, name) {
			kept = append(kept, f)
		}
	}
	deleted := len(kept) != len(h.fields)
	h.fields = kept
	return deleted
}

// Set adds fields named name with values, per mode: replace deletes the
// existing fields first and appends, prepend adds at the top, append at the
// bottom. Non-ASCII values are RFC 2047 encoded. nl is the line break the
// message uses.
func (h *Header) Set(name string, values []string, mode, nl string) error {
	if _, ok := fieldName([]byte(name + ":")); !ok || strings.ContainsAny(name, "\r\n:") {
		return fmt.Errorf("invalid header name %q", name)
	}
	added := make([]field, 0, len(values))
	for _, v := range values {
		added = append(added, field{name: name, raw: formatField(name, v, nl)})
	}
	switch mode {
	case "", ModeReplace:
		h.Del(name)
		h.fields = append(h.fields, added...)
	case ModeAppend:
		h.fields = append(h.fields, added...)
	case ModePrepend:
		h.fields = append(added, h.fields...)
	default:
		return fmt.Errorf("invalid header mode %q (replace, prepend or append)", mode)
	}
	// A header that ended the input had no final line break; a field
	// after it needs one.
	for i := range h.fields {
		if !bytes.HasSuffix(h.fields[i].raw, []byte("\n")) {
			h.fields[i].raw = append(h.fields[i].raw, nl...)
		}
	}
	return nil
}

// formatField writes "Name: value" with nl. Line breaks inside value become
// folds (a continuation line always starts with white space), so a value
// can never smuggle in another field.
func formatField(name, value, nl string) []byte {
	value = EncodeHeader(value)
	value = strings.ReplaceAll(value, "\r\n", "\n")
	value = strings.ReplaceAll(value, "\r", "\n")
	lines := strings.Split(value, "\n")
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(": ")
	for i, l := range lines {
		if i > 0 {
			if l == "" {
				continue
			}
			b.WriteString(nl)
			if l[0] != ' ' && l[0] != '\t' {
				b.WriteByte(' ')
			}
		}
		b.WriteString(l)
	}
	b.WriteString(nl)
	return fold([]byte(b.String()), nl)
}

// fold breaks lines longer than 78 octets at spaces (RFC 5322 §2.2.3),
// never inside a word; unfolding gives the value back.
func fold(field []byte, nl string) []byte {
	lines := strings.SplitAfter(string(field), nl)
	var b strings.Builder
	for _, l := range lines {
		body := strings.TrimSuffix(l, nl)
		for len(body) > 78 {
			i := strings.LastIndexByte(body[:78], ' ')
			if i <= 0 {
				i = strings.IndexByte(body[1:], ' ') + 1
				if i <= 0 {
					break
				}
			}
			b.WriteString(body[:i])
			b.WriteString(nl)
			body = body[i:]
		}
		b.WriteString(body)
		if strings.HasSuffix(l, nl) {
			b.WriteString(nl)
		}
	}
	return []byte(b.String())
}

// EncodeHeader RFC 2047 encodes the non-ASCII words of a value as UTF-8
// Q-encoded words; ASCII words stay as they are, so an address next to an
// encoded display name remains readable ("=?utf-8?q?J=C3=B6rg?=
// <j@example.com>"). Consecutive non-ASCII words become one span.
func EncodeHeader(v string) string {
	if isASCII(v) {
		return v
	}
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	words := strings.Split(v, " ")
	var out []string
	for i := 0; i < len(words); {
		if isASCII(words[i]) {
			out = append(out, words[i])
			i++
			continue
		}
		j := i + 1
		for j < len(words) && !isASCII(words[j]) {
			j++
		}
		out = append(out, mime.QEncoding.Encode("utf-8", strings.Join(words[i:j], " ")))
		i = j
	}
	return strings.Join(out, " ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

var encodedWord = regexp.MustCompile(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)
var betweenWords = regexp.MustCompile(`(\?=)[ \t]+(=\?)`)

// DecodeHeader decodes RFC 2047 encoded words to UTF-8. A word in a
// charset the host cannot convert, or a malformed one, is left as it is
// and the others are still decoded.
func DecodeHeader(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	d := mime.WordDecoder{CharsetReader: charsetReader}
	if out, err := d.DecodeHeader(v); err == nil {
		return out
	}
	// White space between two encoded words is not part of the text
	// (RFC 2047 §6.2); drop it before decoding word by word.
	v = betweenWords.ReplaceAllString(v, "$1$2")
	return encodedWord.ReplaceAllStringFunc(v, func(w string) string {
		if s, err := d.Decode(w); err == nil {
			return s
		}
		return w
	})
}

// goHeader converts h for go-message's parsers (Content-Type parameters,
// transfer decoding).
func (h *Header) goHeader() gomessage.Header {
	var th textproto.Header
	for i := len(h.fields) - 1; i >= 0; i-- {
		th.AddRaw(h.fields[i].raw)
	}
	return gomessage.Header{Header: th}
}

// charsetReader converts the charsets the host knows to UTF-8: UTF-8 and
// ASCII pass, ISO-8859-1 and Windows-1252 are mapped; others fail, so the
// caller keeps the bytes.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s, err := toUTF8(charset, b)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(s), nil
}
