package message

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// maxDepth bounds MIME nesting; deeper multiparts are kept as opaque leaves.
const maxDepth = 32

// Part is one node of a message's MIME tree. Every part keeps the bytes it
// was parsed from (header fields, separator, body, delimiter lines,
// preamble and epilogue), so serialising an unmodified tree gives back the
// original message byte for byte, and an edit changes only what it touches.
type Part struct {
	msg    *Message // the message that made the part; edits mark it dirty
	parent *Part

	Header Header
	sep    string // blank line ending the header ("" when there was none)

	// A leaf's body is its transfer-encoded content; a container's is its
	// preamble (everything before the first delimiter line).
	body []byte

	container bool
	boundary  string
	children  []*Part
	closeLine []byte // "--boundary--" and its line break; nil when missing
	epilogue  []byte

	// delim is the delimiter line before this part in its parent, line
	// break included; tail the line break that precedes the next
	// delimiter (it belongs to that delimiter, RFC 2046 §5.1.1).
	delim []byte
	tail  []byte

	nl string // line break used for anything the host writes

	// detached marks the top of a tree its message replaced (msg:raw,
	// msg:body, a re-parsed container's old children): edits made through
	// it would never reach the message, so they are refused.
	detached bool
}

// Errors of tree edits.
var (
	ErrNotContainer = errors.New("part is not a container")
	ErrNoParent     = errors.New("part has no parent")
	ErrCycle        = errors.New("a part cannot contain itself")
	ErrDetached     = errors.New("MIME part is detached from its message")
	ErrRoot         = errors.New("the top of a message cannot become a child part")
	ErrBoundary     = errors.New("the container's boundary clashes with an enclosing container's")
)

// lineBreak picks the line break a message already uses; CRLF by default.
func lineBreak(b []byte) string {
	i := bytes.IndexByte(b, '\n')
	if i > 0 && b[i-1] == '\r' || i < 0 {
		return "\r\n"
	}
	return "\n"
}

func parsePart(m *Message, b []byte, nl string, depth int) *Part {
	h, sep, body := parseHeader(b)
	p := &Part{msg: m, Header: h, sep: sep, nl: nl}
	mt, params := p.mediaType()
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && depth < maxDepth {
		p.container = true
		p.boundary = params["boundary"]
		p.splitMultipart(body, depth)
		return p
	}
	p.body = body
	return p
}

// splitMultipart divides a multipart body at its delimiter lines.
func (p *Part) splitMultipart(b []byte, depth int) {
	delim := "--" + p.boundary
	var cur *Part
	curStart := -1
	finish := func(end int, closed bool) {
		content := b[curStart:end]
		var tail []byte
		switch {
		case !closed:
		case bytes.HasSuffix(content, []byte("\r\n")):
			tail = content[len(content)-2:]
		case bytes.HasSuffix(content, []byte("\n")):
			tail = content[len(content)-1:]
		}
		child := parsePart(p.msg, content[:len(content)-len(tail)], p.nl, depth+1)
		child.delim, child.tail, child.parent = cur.delim, append([]byte(nil), tail...), p
		p.children = append(p.children, child)
	}
	pos := 0
	for pos < len(b) {
		end := lineEnd(b, pos)
		line := bytes.TrimRight(b[pos:end], " \t\r\n")
		if bytes.HasPrefix(line, []byte(delim)) {
			rest := string(line[len(delim):])
			if rest == "" || rest == "--" {
				if cur == nil {
					p.body = b[:pos]
				} else {
					finish(pos, true)
				}
				if rest == "--" {
					p.closeLine = b[pos:end]
					p.epilogue = b[end:]
					return
				}
				cur = &Part{delim: b[pos:end]}
				curStart = end
			}
		}
		pos = end
	}
	if cur == nil {
		p.body = b
		return
	}
	// No close delimiter: the last part runs to the end, line break and all.
	finish(len(b), false)
}

// Bytes serialises the part: header, separator and body.
func (p *Part) Bytes() []byte {
	var b bytes.Buffer
	p.write(&b)
	return b.Bytes()
}

func (p *Part) write(b *bytes.Buffer) {
	b.Write(p.Header.Bytes())
	b.WriteString(p.sep)
	p.writeBody(b)
}

func (p *Part) writeBody(b *bytes.Buffer) {
	b.Write(p.body)
	if !p.container {
		return
	}
	for _, c := range p.children {
		b.Write(c.delim)
		c.write(b)
		b.Write(c.tail)
	}
	b.Write(p.closeLine)
	b.Write(p.epilogue)
}

// BodyBytes returns everything after the header (a container's whole
// multipart body), transfer encoding untouched.
func (p *Part) BodyBytes() []byte {
	var b bytes.Buffer
	p.writeBody(&b)
	return b.Bytes()
}

// touch marks the owning message's tree as edited, if p is still part of it.
func (p *Part) touch() {
	if p.msg == nil || p.msg.root == nil {
		return
	}
	if p.Root() == p.msg.root {
		p.msg.dirty = true
	}
}

// Root returns the top of p's tree.
func (p *Part) Root() *Part {
	for p.parent != nil {
		p = p.parent
	}
	return p
}

// Detached reports whether p belongs to a tree its message has replaced
// (see Message.SetRaw and Part.SetBytes); edits to it change nothing.
func (p *Part) Detached() bool { return p.Root().detached }

// detachChildren cuts a container's children loose when its body is
// replaced; handles a script still holds on them then report detachment
// instead of editing nothing.
func (p *Part) detachChildren() {
	for _, c := range p.children {
		c.parent, c.detached = nil, true
	}
}

// Parent returns the containing part, nil at the top or when unlinked.
func (p *Part) Parent() *Part { return p.parent }

// IsContainer reports whether the part is a multipart with a boundary.
func (p *Part) IsContainer() bool { return p.container }

// Children returns a container's parts (nil for a leaf).
func (p *Part) Children() []*Part { return append([]*Part(nil), p.children...) }

// Next returns the part after p in a depth-first walk of its tree
// (msgpart.thread), nil after the last.
func (p *Part) Next() *Part {
	if len(p.children) > 0 {
		return p.children[0]
	}
	for q := p; q.parent != nil; q = q.parent {
		sib := q.parent.children
		for i, c := range sib {
			if c == q && i+1 < len(sib) {
				return sib[i+1]
			}
		}
	}
	return nil
}

// Walk returns every part of the tree under p, p first, depth first.
func (p *Part) Walk() []*Part {
	out := []*Part{p}
	for _, c := range p.children {
		out = append(out, c.Walk()...)
	}
	return out
}

// SetHeader sets header fields of the part (see Header.Set).
func (p *Part) SetHeader(name string, values []string, mode string) error {
	if err := p.Header.Set(name, values, mode, p.nl); err != nil {
		return err
	}
	if p.sep == "" {
		p.sep = p.nl
	}
	p.touch()
	return nil
}

// DelHeader removes every field named name.
func (p *Part) DelHeader(name string) bool {
	ok := p.Header.Del(name)
	p.touch()
	return ok
}

// SetBody replaces a leaf's transfer-encoded body, or turns a container
// into a leaf holding b.
func (p *Part) SetBody(b []byte) {
	p.detachChildren()
	p.body = append([]byte(nil), b...)
	p.container, p.children, p.closeLine, p.epilogue, p.boundary = false, nil, nil, nil, ""
	if p.sep == "" && p.Header.Len() > 0 {
		p.sep = p.nl
	}
	p.touch()
}

func (p *Part) contains(c *Part) bool {
	for q := p; q != nil; q = q.parent {
		if q == c {
			return true
		}
	}
	return false
}

func (p *Part) adopt(c *Part) error {
	switch {
	case !p.container:
		return ErrNotContainer
	case p.Detached() || c.Detached():
		return ErrDetached
	case p.contains(c):
		return ErrCycle
	case c.msg != nil && c.msg.root == c:
		// The message would keep serialising its root on its own, and
		// p's message would lose edits made through it.
		return ErrRoot
	case p.boundaryClash(c):
		return ErrBoundary
	}
	c.Unlink()
	c.parent = p
	c.setOwner(p.msg, p.nl)
	c.delim = []byte("--" + p.boundary + p.nl)
	c.tail = []byte(p.nl)
	// The first delimiter must start a line of its own (RFC 2046 §5.1.1);
	// a preamble without a final line break would swallow it.
	if n := len(p.body); n > 0 && p.body[n-1] != '\n' {
		p.body = append(p.body[:n:n], p.nl...)
	}
	if p.closeLine == nil {
		p.closeLine = []byte("--" + p.boundary + "--" + p.nl)
		if n := len(p.children); n > 0 && len(p.children[n-1].tail) == 0 {
			p.children[n-1].tail = []byte(p.nl)
		}
	}
	return nil
}

// setOwner makes m the message of p's subtree, so that its edits mark m
// dirty, and nl its line break.
func (p *Part) setOwner(m *Message, nl string) {
	p.msg, p.nl = m, nl
	for _, c := range p.children {
		c.setOwner(m, nl)
	}
}

// boundaryClash reports whether a container in c's subtree has a boundary
// that would end one of p's enclosing containers early, or be ended by it:
// equal boundaries, or one being the other plus "--" (its close line is
// the other's delimiter).
func (p *Part) boundaryClash(c *Part) bool {
	for _, d := range c.Walk() {
		if !d.container {
			continue
		}
		for q := p; q != nil; q = q.parent {
			a, b := q.boundary, d.boundary
			if q.container && (a == b || a == b+"--" || b == a+"--") {
				return true
			}
		}
	}
	return false
}

// AddFirstChild makes c the first part of container p.
func (p *Part) AddFirstChild(c *Part) error {
	if err := p.adopt(c); err != nil {
		return err
	}
	p.children = append([]*Part{c}, p.children...)
	p.touch()
	return nil
}

// AddLastChild makes c the last part of container p.
func (p *Part) AddLastChild(c *Part) error {
	if err := p.adopt(c); err != nil {
		return err
	}
	p.children = append(p.children, c)
	p.touch()
	return nil
}

// InsertBefore places p just before sib in sib's container.
func (p *Part) InsertBefore(sib *Part) error { return p.insertNear(sib, 0) }

// InsertAfter places p just after sib in sib's container.
func (p *Part) InsertAfter(sib *Part) error { return p.insertNear(sib, 1) }

func (p *Part) insertNear(sib *Part, off int) error {
	parent := sib.parent
	if parent == nil || parent.index(sib) < 0 {
		return ErrNoParent
	}
	if sib == p {
		return nil
	}
	if err := parent.adopt(p); err != nil {
		return err
	}
	i := parent.index(sib) + off
	parent.children = append(parent.children[:i], append([]*Part{p}, parent.children[i:]...)...)
	p.touch()
	return nil
}

func (p *Part) index(c *Part) int {
	for i, x := range p.children {
		if x == c {
			return i
		}
	}
	return -1
}

// Unlink removes p (and its children) from its container. It reports
// whether p was linked.
func (p *Part) Unlink() bool {
	parent := p.parent
	if parent == nil {
		return false
	}
	p.parent = nil
	i := parent.index(p)
	if i < 0 {
		return false
	}
	parent.children = append(parent.children[:i], parent.children[i+1:]...)
	parent.touch()
	return true
}

// randRead is the boundaries' randomness; tests make it predictable.
var randRead = rand.Read

// NewBoundary returns a boundary that appears in none of the given byte
// strings (the message and any parts, as msg:makeBoundary).
func NewBoundary(avoid ...[]byte) string {
	for {
		var r [12]byte
		_, _ = randRead(r[:])
		b := "=_msys_" + hex.EncodeToString(r[:])
		clash := false
		for _, a := range avoid {
			if bytes.Contains(a, []byte(b)) {
				clash = true
				break
			}
		}
		if !clash {
			return b
		}
	}
}

// Transfer encodings, as msys.core.EC_MIME_TE_*.
const (
	TE7Bit = iota
	TE8Bit
	TEBase64
	TEQuotedPrintable
)

// MakePart returns a new unlinked leaf part of type mimetype holding body,
// encoded with te (one of the TE* constants).
func (m *Message) MakePart(mimetype string, body []byte, te int) (*Part, error) {
	nl := lineBreak(m.Raw())
	p := &Part{msg: m, sep: nl, nl: nl}
	enc, data, err := encodeBody(te, body, nl)
	if err != nil {
		return nil, err
	}
	if err := p.Header.Set("Content-Type", []string{mimetype}, ModeReplace, nl); err != nil {
		return nil, err
	}
	if enc != "7bit" {
		_ = p.Header.Set("Content-Transfer-Encoding", []string{enc}, ModeReplace, nl)
	}
	if te == TEBase64 {
		data = bytes.TrimSuffix(data, []byte(nl))
	}
	p.body = data
	return p, nil
}

// MakeContainer returns a new unlinked, empty multipart container. An empty
// boundary gets a fresh one. addTerminator appends an SMTP end-of-data
// line after the closing delimiter, as Momentum does for a part meant to be
// the top of a message.
func (m *Message) MakeContainer(mimetype, boundary string, addTerminator bool) (*Part, error) {
	if !strings.HasPrefix(strings.ToLower(mimetype), "multipart/") {
		return nil, fmt.Errorf("container type must be multipart/*, got %q", mimetype)
	}
	if boundary == "" {
		boundary = NewBoundary(m.Raw())
	} else if err := CheckBoundary(boundary); err != nil {
		return nil, err
	}
	nl := lineBreak(m.Raw())
	p := &Part{msg: m, sep: nl, nl: nl, container: true, boundary: boundary}
	ct := mimetype + "; boundary=\"" + boundary + "\""
	if err := p.Header.Set("Content-Type", []string{ct}, ModeReplace, nl); err != nil {
		return nil, err
	}
	p.closeLine = []byte("--" + boundary + "--" + nl)
	if addTerminator {
		p.epilogue = []byte("." + nl)
	}
	return p, nil
}

// CheckBoundary checks a multipart boundary against RFC 2046 §5.1.1: 1 to
// 70 characters from bchars (letters, digits, space and '()+_,-./:=?), not
// ending in a space.
func CheckBoundary(b string) error {
	if b == "" || len(b) > 70 {
		return fmt.Errorf("boundary must be 1 to 70 characters, got %d", len(b))
	}
	if b[len(b)-1] == ' ' {
		return errors.New("boundary must not end with a space")
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("'()+_,-./:=? ", c) >= 0) {
			return fmt.Errorf("boundary character %q is not allowed (RFC 2046)", c)
		}
	}
	return nil
}

// SetBytes replaces the whole part, header and body, with b parsed afresh;
// the part keeps its place in its tree.
func (p *Part) SetBytes(b []byte) {
	depth := 0
	for q := p.parent; q != nil; q = q.parent {
		depth++
	}
	np := parsePart(p.msg, append([]byte(nil), b...), p.nl, depth)
	np.parent, np.delim, np.tail, np.detached = p.parent, p.delim, p.tail, p.detached
	p.detachChildren()
	*p = *np
	for _, c := range p.children {
		c.parent = p
	}
	p.touch()
}

// ReplaceBody replaces everything after the part's header with b (a
// multipart body is split into parts again).
func (p *Part) ReplaceBody(b []byte) {
	sep := p.sep
	if sep == "" && p.Header.Len() > 0 {
		sep = p.nl
	}
	if sep == "" {
		// Without a separator, body text that looks like a header field
		// or starts with a blank line would be read back wrongly.
		if h, s, _ := parseHeader(b); h.Len() > 0 || s != "" {
			sep = p.nl
		}
	}
	var buf bytes.Buffer
	buf.Write(p.Header.Bytes())
	buf.WriteString(sep)
	buf.Write(b)
	p.SetBytes(buf.Bytes())
}
