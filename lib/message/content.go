package message

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"

	gomessage "github.com/emersion/go-message"
)

// mediaType returns the part's lower-case media type and parameters. A
// part without a usable Content-Type is text/plain (RFC 2045 §5.2).
func (p *Part) mediaType() (string, map[string]string) {
	if !p.Header.Has("Content-Type") {
		return "text/plain", map[string]string{}
	}
	h := p.Header.goHeader()
	mt, params, err := h.ContentType()
	if mt == "" {
		v := p.Header.RawValues("Content-Type")[0]
		mt, _, _ = strings.Cut(v, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	if err != nil && params == nil {
		params = map[string]string{}
	}
	if mt == "" {
		mt = "text/plain"
	}
	return mt, params
}

// MediaType returns the part's media type, lower case ("text/plain").
func (p *Part) MediaType() string {
	mt, _ := p.mediaType()
	return mt
}

// ContentInfo is what msgpart:content_type() reports.
type ContentInfo struct {
	MimeType     string
	Charset      string
	Encoding     string
	IsAttachment bool
	Filename     string
}

// ContentInfo describes the part's content. The Content-Disposition
// filename wins over the Content-Type name.
func (p *Part) ContentInfo() ContentInfo {
	mt, params := p.mediaType()
	ci := ContentInfo{MimeType: mt, Charset: params["charset"], Encoding: p.transferEncoding()}
	if ci.Charset == "" && strings.HasPrefix(mt, "text/") {
		ci.Charset = "us-ascii"
	}
	disp := ""
	if p.Header.Has("Content-Disposition") {
		h := p.Header.goHeader()
		d, dp, _ := h.ContentDisposition()
		disp = d
		ci.Filename = DecodeHeader(dp["filename"])
	}
	if ci.Filename == "" {
		ci.Filename = DecodeHeader(params["name"])
	}
	ci.IsAttachment = ci.Filename != "" || disp == "attachment"
	return ci
}

func (p *Part) transferEncoding() string {
	v := strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")))
	if v == "" {
		return "7bit"
	}
	return v
}

// IsText reports whether the part is a text/* leaf.
func (p *Part) IsText() bool {
	return !p.container && strings.HasPrefix(p.MediaType(), "text/")
}

// Text returns a text part's content, transfer-decoded and converted to
// UTF-8 (kept as bytes when the charset is one the host cannot convert).
// ok is false for parts that are not text.
func (p *Part) Text() (text string, ok bool) {
	if !p.IsText() {
		return "", false
	}
	return string(p.decodedBody()), true
}

// decodedBody undoes the transfer encoding and, for text, the charset.
func (p *Part) decodedBody() []byte {
	e, _ := gomessage.New(p.Header.goHeader(), bytes.NewReader(p.body))
	data, _ := io.ReadAll(e.Body)
	mt, params := p.mediaType()
	if cs := normCharset(params["charset"]); strings.HasPrefix(mt, "text/") && cs != "utf-8" && cs != "us-ascii" && knownCharset(cs) {
		if s, err := toUTF8(cs, data); err == nil {
			data = []byte(s)
		}
	}
	return data
}

// SetText replaces the part's content with text (UTF-8), converted to
// charset and given a transfer encoding (7bit when it is 7-bit clean with
// short lines, quoted-printable otherwise); Content-Type and
// Content-Transfer-Encoding follow. mimetype defaults to text/plain and
// charset to the mimetype's charset parameter, else UTF-8. A container
// becomes a leaf.
func (p *Part) SetText(text, mimetype, charset string) error {
	if mimetype == "" {
		mimetype = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(mimetype)
	if err != nil {
		return fmt.Errorf("invalid content type %q: %w", mimetype, err)
	}
	if charset != "" {
		params["charset"] = charset
	}
	if params["charset"] == "" {
		params["charset"] = "utf-8"
	}
	data, ok := fromUTF8(params["charset"], text)
	if !ok {
		params["charset"] = "utf-8"
		data = []byte(text)
	}
	data = normalizeNL(data, p.nl)
	te := TE7Bit
	if !sevenBitClean(data) {
		te = TEQuotedPrintable
	}
	enc, body, err := encodeBody(te, data, p.nl)
	if err != nil {
		return err
	}
	_ = p.Header.Set("Content-Type", []string{mime.FormatMediaType(mt, params)}, ModeReplace, p.nl)
	_ = p.Header.Set("Content-Transfer-Encoding", []string{enc}, ModeReplace, p.nl)
	p.SetBody(body)
	return nil
}

// normalizeNL makes every line break nl.
func normalizeNL(b []byte, nl string) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	if nl == "\n" {
		return b
	}
	return bytes.ReplaceAll(b, []byte("\n"), []byte(nl))
}

// sevenBitClean reports whether b can travel as 7bit: ASCII without NUL,
// lines of at most 998 octets (RFC 5322 §2.1.1).
func sevenBitClean(b []byte) bool {
	n := 0
	for _, c := range b {
		if c >= 0x80 || c == 0 {
			return false
		}
		if c == '\n' {
			n = 0
			continue
		}
		if n++; n > 998 {
			return false
		}
	}
	return true
}

// encodeBody applies a transfer encoding (TE* constant) and returns its
// header name and the encoded bytes.
func encodeBody(te int, data []byte, nl string) (string, []byte, error) {
	switch te {
	case TE7Bit:
		return "7bit", data, nil
	case TE8Bit:
		return "8bit", data, nil
	case TEBase64:
		s := base64.StdEncoding.EncodeToString(data)
		var b bytes.Buffer
		for len(s) > 76 {
			b.WriteString(s[:76])
			b.WriteString(nl)
			s = s[76:]
		}
		if s != "" {
			b.WriteString(s)
			b.WriteString(nl)
		}
		return "base64", b.Bytes(), nil
	case TEQuotedPrintable:
		var b bytes.Buffer
		w := quotedprintable.NewWriter(&b)
		if _, err := w.Write(data); err != nil {
			return "", nil, err
		}
		if err := w.Close(); err != nil {
			return "", nil, err
		}
		out := b.Bytes()
		if nl == "\n" {
			out = bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n"))
		}
		return "quoted-printable", out, nil
	}
	return "", nil, fmt.Errorf("unknown transfer encoding %d", te)
}

// teOf maps a Content-Transfer-Encoding value to a TE constant.
func teOf(enc string) int {
	switch strings.ToLower(enc) {
	case "base64":
		return TEBase64
	case "quoted-printable":
		return TEQuotedPrintable
	case "8bit", "binary":
		return TE8Bit
	}
	return TE7Bit
}

// ReplaceText runs re over the decoded text of each of p's text parts
// (TextParts) and writes every one that matched back in its charset and
// transfer encoding; a part that was 7bit and stops being 7-bit clean
// becomes quoted-printable, text the charset cannot hold switches the part
// to UTF-8. It reports whether any part changed.
func (p *Part) ReplaceText(re *Regexp, repl string) (bool, error) {
	changed := false
	for _, q := range p.TextParts() {
		ok, err := q.replaceText(re, repl, false)
		if err != nil {
			return changed, err
		}
		changed = changed || ok
	}
	return changed, nil
}

// replaceText is ReplaceText; with eod the pattern may also see an SMTP
// end-of-data line after the text, as Momentum's single-part text has, so
// that its documented idiom text_replace("\r\n.\r\n", more.."\r\n.\r\n")
// appends to the text. Only a match that spans that whole line (its line
// break, dot and line break) uses it; any other pattern runs over the text
// alone, so "\\." or "\r\n" never reach the terminator.
func (p *Part) replaceText(re *Regexp, repl string, eod bool) (bool, error) {
	text, ok := p.Text()
	if !ok {
		return false, nil
	}
	subject := []byte(text)
	all, err := re.findAll(subject)
	if err != nil {
		return false, err
	}
	if eod {
		withEOD := subject
		if !strings.HasSuffix(text, "\n") {
			withEOD = append(withEOD, p.nl...)
		}
		lineStart := len(withEOD) - 1
		if bytes.HasSuffix(withEOD, []byte("\r\n")) {
			lineStart--
		}
		dot := len(withEOD)
		withEOD = append(withEOD, "."+p.nl...)
		allEOD, err := re.findAll(withEOD)
		if err != nil {
			return false, err
		}
		for _, idx := range allEOD {
			if idx[0] <= lineStart && idx[1] > dot {
				subject, all = withEOD, allEOD
				break
			}
		}
	}
	if len(all) == 0 {
		return false, nil
	}
	out, n := re.replace(subject, repl, all)
	if n == 0 {
		return false, nil
	}
	if eod {
		out = StripTerminator(out)
	}
	mt, params := p.mediaType()
	data, switched := out, false
	if cs := params["charset"]; cs == "" || knownCharset(cs) {
		if cs == "" {
			cs = "us-ascii"
		}
		if b, ok := fromUTF8(cs, string(out)); ok {
			data = b
		} else {
			params["charset"], switched = "utf-8", true
		}
	}
	oldTE := teOf(p.transferEncoding())
	te := oldTE
	if (te == TE7Bit && !sevenBitClean(data)) || (te == TE8Bit && bytes.IndexByte(data, 0) >= 0) {
		te = TEQuotedPrintable
	}
	enc, body, err := encodeBody(te, data, p.nl)
	if err != nil {
		return false, err
	}
	if ct := mime.FormatMediaType(mt, params); switched && ct != "" {
		_ = p.Header.Set("Content-Type", []string{ct}, ModeReplace, p.nl)
	}
	if te != oldTE {
		_ = p.Header.Set("Content-Transfer-Encoding", []string{enc}, ModeReplace, p.nl)
	}
	p.SetBody(body)
	return true, nil
}

// TextParts returns the text parts under p in tree order: p itself when
// it is a text/* leaf (a script that picked a part means it, attachment or
// not), else every text/* leaf below it that is not an attachment.
func (p *Part) TextParts() []*Part {
	if p.IsText() {
		return []*Part{p}
	}
	var out []*Part
	for _, q := range p.Walk() {
		if q.IsText() && !q.ContentInfo().IsAttachment {
			out = append(out, q)
		}
	}
	return out
}

// TextParts returns the message's text parts: its root's (Part.TextParts),
// so msg:text_match and msg:mime():text_match search the same text.
func (m *Message) TextParts() []*Part { return m.Root().TextParts() }

// Texts returns the decoded text of every text part (msg:text()).
func (m *Message) Texts() []string {
	var out []string
	for _, p := range m.TextParts() {
		t, _ := p.Text()
		out = append(out, t)
	}
	return out
}

// SetText replaces the whole body with text (see Part.SetText) and makes
// sure the message says MIME-Version: 1.0.
func (m *Message) SetText(text, mimetype, charset string) error {
	root := m.Root()
	if err := root.SetText(text, mimetype, charset); err != nil {
		return err
	}
	if !root.Header.Has("MIME-Version") {
		_ = root.SetHeader("MIME-Version", []string{"1.0"}, ModeAppend)
	}
	return nil
}

// ReplaceText is Part.ReplaceText on the root. A message that is one text part is matched with Momentum's
// end-of-data line after it (see replaceText).
func (m *Message) ReplaceText(re *Regexp, repl string) (bool, error) {
	root := m.Root()
	if root.IsText() {
		return root.replaceText(re, repl, true)
	}
	return root.ReplaceText(re, repl)
}
