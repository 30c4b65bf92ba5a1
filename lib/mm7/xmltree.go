package mm7

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits bound what a parse may build from one document, so a hostile or
// broken peer costs a bounded amount of memory and time.
type Limits struct {
	Depth    int // XML element nesting; MIME nesting counts apart
	Elements int // XML elements in one document
	Attrs    int // attributes of one element
	Parts    int // MIME parts, all levels together
	// PartDepth bounds MIME nesting: the SOAP body, the MMS content and
	// one multipart level inside it is what MM7 needs.
	PartDepth int
}

// DefaultLimits are far above what any MM7 request needs (a SubmitReq has
// about 30 elements at depth 5) and far below what hurts.
var DefaultLimits = Limits{Depth: 32, Elements: 4096, Attrs: 32, Parts: 64, PartDepth: 4}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.Depth > 0 {
		d.Depth = l.Depth
	}
	if l.Elements > 0 {
		d.Elements = l.Elements
	}
	if l.Attrs > 0 {
		d.Attrs = l.Attrs
	}
	if l.Parts > 0 {
		d.Parts = l.Parts
	}
	if l.PartDepth > 0 {
		d.PartDepth = l.PartDepth
	}
	return d
}

// node is one element of a parsed document.
type node struct {
	space, local string
	attrs        []xml.Attr
	children     []*node
	text         strings.Builder // character data directly inside
}

// child returns the first child with the local name, in any namespace:
// relays qualify MM7 elements inconsistently (default namespace, an mm7:
// prefix, or none at all), so names are matched by local part.
func (n *node) child(local string) *node {
	for _, c := range n.children {
		if c.local == local {
			return c
		}
	}
	return nil
}

func (n *node) all(local string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.local == local {
			out = append(out, c)
		}
	}
	return out
}

// value is the trimmed text of the named child, "" when absent.
func (n *node) value(local string) string {
	if c := n.child(local); c != nil {
		return strings.TrimSpace(c.text.String())
	}
	return ""
}

func (n *node) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// attrNS returns the attribute in namespace space (SOAP's mustUnderstand
// is qualified by the envelope's namespace).
func (n *node) attrNS(space, local string) string {
	for _, a := range n.attrs {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// errDoctype is why documents with a DTD are refused.
var errDoctype = errors.New("document type declaration not allowed (SOAP 1.1 §3)")

// parseXML builds the element tree of doc within lim. encoding/xml expands
// only the five predefined entities and character references; with strict
// parsing any other entity reference is an error, and the DOCTYPE that
// could declare one is refused before that.
//
// charset is the charset parameter of the document's MIME type, "" when
// there is none. RFC 7303 §3 ranks the sources of a document's encoding: a
// byte order mark, then the charset parameter, then the XML encoding
// declaration; a relay that sends Latin-1 text as text/xml;
// charset=ISO-8859-1 without an encoding declaration is read as Latin-1.
func parseXML(doc []byte, lim Limits, charset string) (*node, error) {
	// Relays on Windows stacks start documents with a UTF-8 byte order
	// mark, which encoding/xml does not skip.
	bom := bytes.HasPrefix(doc, []byte("\xef\xbb\xbf"))
	doc = bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.CharsetReader = charsetReader
	if cs := strings.TrimSpace(charset); cs != "" && !bom {
		r, err := charsetReader(cs, bytes.NewReader(doc))
		if err != nil {
			return nil, err
		}
		d = xml.NewDecoder(r)
		d.Strict = true
		// The text is UTF-8 now, whatever the declaration says.
		d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	} else if bom {
		d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	}
	var (
		root  *node
		stack []*node
		count int
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("XML not well-formed: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > lim.Elements {
				return nil, fmt.Errorf("more than %d XML elements", lim.Elements)
			}
			if len(stack) >= lim.Depth {
				return nil, fmt.Errorf("XML nested deeper than %d elements", lim.Depth)
			}
			if len(t.Attr) > lim.Attrs {
				return nil, fmt.Errorf("element %s has more than %d attributes", t.Name.Local, lim.Attrs)
			}
			n := &node{space: t.Name.Space, local: t.Name.Local, attrs: t.Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("XML has more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text outside the root element")
			}
		case xml.Directive:
			return nil, errDoctype
		}
	}
	if root == nil {
		return nil, errors.New("no XML element")
	}
	return root, nil
}

// charsetReader reads the encodings relays declare. UTF-8 and US-ASCII
// pass; ISO-8859-1 is converted. Any other declared charset (Chinese relays
// declare GB2312 on documents that are plain ASCII) is accepted when the
// document is in fact ASCII, and refused otherwise rather than misread.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	cs := strings.ToLower(strings.TrimSpace(charset))
	switch cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	switch cs {
	case "iso-8859-1", "latin1", "iso8859-1":
		var out bytes.Buffer
		for _, c := range b {
			out.WriteRune(rune(c))
		}
		return &out, nil
	}
	for _, c := range b {
		if c >= 0x80 {
			return nil, fmt.Errorf("document in charset %q with non-ASCII text, which msyshost cannot convert", charset)
		}
	}
	return bytes.NewReader(b), nil
}

// xmlChar reports whether r may appear in an XML document (XML 1.0 §2.2).
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// validText reports whether s can be written as XML character data.
func validText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !xmlChar(r) {
			return false
		}
	}
	return true
}

// CleanText makes s writable as XML text: invalid UTF-8 and characters XML
// cannot carry become U+FFFD. Error details that quote a peer's bytes go
// through it.
func CleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if xmlChar(r) {
			return r
		}
		return utf8.RuneError
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
