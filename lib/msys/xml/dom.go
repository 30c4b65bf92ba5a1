package xml

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Kind is a node's type.
type Kind int

const (
	DocumentNode Kind = iota
	ElementNode
	TextNode
	CommentNode
	PINode
	// AttributeNode is an attribute an XPath query selected: Parent is its
	// element, Name its name; its value lives in the element.
	AttributeNode
)

// Attr is one attribute, name as written (prefix:local).
type Attr struct{ Name, Value string }

// Node is a node of the tree, linked as libxml2 links its nodes.
type Node struct {
	Kind  Kind
	Name  string // element or attribute name as written; PI target
	Attrs []Attr
	Data  string // text, comment or PI content
	Doc   *Doc

	Parent, FirstChild, LastChild, Prev, Next *Node
}

// Doc is a parsed document: a document node holding the root element and
// any comments and processing instructions around it.
type Doc struct {
	Node    *Node
	Doctype string // "<!DOCTYPE ...>" as written, kept for output
}

// Root returns the document element.
func (d *Doc) Root() *Node {
	for c := d.Node.FirstChild; c != nil; c = c.Next {
		if c.Kind == ElementNode {
			return c
		}
	}
	return nil
}

// Limits of Parse, as libxml2 applies them without XML_PARSE_HUGE.
const (
	MaxDepth = 256
	// entity references may expand to at most this many bytes in all, or
	// ten times the document's size if that is more: a "billion laughs"
	// document fails instead of growing without bound.
	entityBudget   = 1 << 20
	maxEntityNest  = 16
	entityExpander = 10
)

// Parse reads an XML document. keepBlanks keeps white-space-only text
// between elements (libxml2's keepBlanks); without it such text is
// dropped where libxml2 calls it ignorable.
func Parse(src string, keepBlanks bool) (*Doc, error) {
	p := &parser{
		doc:      &Doc{},
		ents:     map[string]*entity{},
		budget:   max(entityBudget, entityExpander*len(src)),
		sentinel: map[string]string{},
		mark:     newMark(),
	}
	p.doc.Node = &Node{Kind: DocumentNode, Doc: p.doc}
	d := xml.NewDecoder(strings.NewReader(src))
	d.Strict = true
	d.CharsetReader = charsetReader
	d.Entity = p.sentinel
	p.dec = d
	if err := p.run(keepBlanks); err != nil {
		line, _ := d.InputPos()
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("line %d: %s", se.Line, se.Msg)
		}
		return nil, fmt.Errorf("line %d: %w", line, err)
	}
	return p.doc, nil
}

type parser struct {
	doc      *Doc
	dec      *xml.Decoder
	ents     map[string]*entity
	sentinel map[string]string // what encoding/xml substitutes for a declared entity
	mark     string
	budget   int
}

// entity is a general entity declared in the internal subset.
type entity struct {
	name     string
	value    string // replacement text, references unexpanded
	external bool
	busy     bool // being expanded: a reference to it now is a loop
}

// Markers: encoding/xml substitutes a declared entity with a marker (a
// private-use character and a random word, unguessable by the document),
// so the parser can expand the entity itself and count what it adds.
func newMark() string {
	var b [8]byte
	rand.Read(b[:])
	return "\uE000" + hex.EncodeToString(b[:]) + "\uE001"
}

func (p *parser) run(keepBlanks bool) error {
	cur := p.doc.Node
	depth := 0
	for {
		tok, err := p.dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if cur == p.doc.Node && p.doc.Root() != nil {
				return errors.New("extra content at the end of the document")
			}
			depth++
			if depth > MaxDepth {
				return fmt.Errorf("elements nest deeper than %d", MaxDepth)
			}
			n := &Node{Kind: ElementNode, Name: qname(t.Name), Doc: p.doc}
			for _, a := range t.Attr {
				v, err := p.expand(a.Value)
				if err != nil {
					return err
				}
				name := qname(a.Name)
				if _, dup := n.Attr(name); dup {
					return fmt.Errorf("attribute %s given twice in <%s>", name, n.Name)
				}
				n.Attrs = append(n.Attrs, Attr{Name: name, Value: v})
			}
			cur.AppendChild(n)
			cur = n
		case xml.EndElement:
			if cur.Kind != ElementNode || cur.Name != qname(t.Name) {
				if cur.Kind != ElementNode {
					return fmt.Errorf("unexpected end element </%s>", qname(t.Name))
				}
				return fmt.Errorf("element <%s> closed by </%s>", cur.Name, qname(t.Name))
			}
			if !keepBlanks {
				dropBlanks(cur)
			}
			cur = cur.Parent
			depth--
		case xml.CharData:
			s, err := p.expand(string(t))
			if err != nil {
				return err
			}
			if cur == p.doc.Node {
				if strings.TrimSpace(s) != "" {
					return errors.New("text outside the document element")
				}
				continue
			}
			if last := cur.LastChild; last != nil && last.Kind == TextNode {
				last.Data += s // text and CDATA sections run together
			} else if s != "" {
				cur.AppendChild(&Node{Kind: TextNode, Data: s, Doc: p.doc})
			}
		case xml.Comment:
			cur.AppendChild(&Node{Kind: CommentNode, Data: string(t), Doc: p.doc})
		case xml.ProcInst:
			if t.Target == "xml" {
				continue
			}
			cur.AppendChild(&Node{Kind: PINode, Name: t.Target, Data: string(t.Inst), Doc: p.doc})
		case xml.Directive:
			if err := p.directive(string(t)); err != nil {
				return err
			}
		}
	}
	if cur != p.doc.Node {
		return fmt.Errorf("premature end of data in element <%s>", cur.Name)
	}
	if p.doc.Root() == nil {
		return errors.New("document is empty")
	}
	return nil
}

// AppendChild links c as n's last child.
func (n *Node) AppendChild(c *Node) {
	c.Parent = n
	c.Prev = n.LastChild
	c.Next = nil
	if n.LastChild != nil {
		n.LastChild.Next = c
	} else {
		n.FirstChild = c
	}
	n.LastChild = c
}

// Unlink detaches n from its parent and siblings.
func (n *Node) Unlink() {
	if n.Parent != nil {
		if n.Parent.FirstChild == n {
			n.Parent.FirstChild = n.Next
		}
		if n.Parent.LastChild == n {
			n.Parent.LastChild = n.Prev
		}
	}
	if n.Prev != nil {
		n.Prev.Next = n.Next
	}
	if n.Next != nil {
		n.Next.Prev = n.Prev
	}
	n.Parent, n.Prev, n.Next = nil, nil, nil
}

// setDoc moves n and its subtree to doc.
func (n *Node) setDoc(doc *Doc) {
	n.Doc = doc
	for c := n.FirstChild; c != nil; c = c.Next {
		c.setDoc(doc)
	}
}

// dropBlanks removes the white-space-only text libxml2 treats as
// ignorable: a blank run is kept when it is the element's only content,
// or when the element's first child or the run's preceding sibling is
// text (mixed content); otherwise it is dropped.
func dropBlanks(e *Node) {
	if e.FirstChild == nil || e.FirstChild == e.LastChild || preserveSpace(e) {
		return
	}
	if e.FirstChild.Kind == TextNode && !blank(e.FirstChild.Data) {
		return
	}
	for c := e.FirstChild; c != nil; {
		next := c.Next
		if c.Kind == TextNode && blank(c.Data) && (c.Prev == nil || c.Prev.Kind != TextNode) {
			c.Unlink()
		}
		c = next
	}
}

// preserveSpace reports whether xml:space="preserve" is in force for e.
func preserveSpace(e *Node) bool {
	for n := e; n != nil && n.Kind == ElementNode; n = n.Parent {
		for _, a := range n.Attrs {
			if a.Name == "xml:space" {
				return a.Value == "preserve"
			}
		}
	}
	return false
}

func blank(s string) bool { return strings.Trim(s, " \t\r\n") == "" }

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// charsetReader accepts the encodings a declaration may name besides
// UTF-8: ISO-8859-1 and US-ASCII.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1":
		data, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		for _, c := range data {
			b.WriteRune(rune(c))
		}
		return &b, nil
	case "us-ascii", "ascii", "utf8":
		return in, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (UTF-8, ISO-8859-1 and US-ASCII are)", label)
}

// directive records the internal subset's general entities from a
// DOCTYPE; other declarations are kept only as text for output.
func (p *parser) directive(d string) error {
	if !strings.HasPrefix(d, "DOCTYPE") {
		return nil
	}
	p.doc.Doctype = "<!" + d + ">"
	rest := d
	for {
		i := strings.Index(rest, "<!ENTITY")
		if i < 0 {
			return nil
		}
		rest = rest[i+len("<!ENTITY"):]
		f := strings.TrimLeft(rest, " \t\r\n")
		if strings.HasPrefix(f, "%") {
			continue // parameter entities shape the DTD, not the content
		}
		name, after, _ := strings.Cut(f, " ")
		after = strings.TrimLeft(after, " \t\r\n")
		e := &entity{name: name}
		switch {
		case strings.HasPrefix(after, `"`) || strings.HasPrefix(after, "'"):
			end := strings.IndexByte(after[1:], after[0])
			if end < 0 {
				return fmt.Errorf("unterminated value of entity %q", name)
			}
			e.value = after[1 : 1+end]
		case strings.HasPrefix(after, "SYSTEM") || strings.HasPrefix(after, "PUBLIC"):
			e.external = true
		default:
			return fmt.Errorf("malformed declaration of entity %q", name)
		}
		if !validName(name) {
			return fmt.Errorf("bad entity name %q", name)
		}
		if _, dup := p.ents[name]; !dup { // the first declaration binds
			p.ents[name] = e
			p.sentinel[name] = p.mark + name + p.mark
		}
	}
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r == ':' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r > 0x7f ||
			i > 0 && (r == '-' || r == '.' || r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// expand replaces the entity markers in s with the entities' text,
// charging the expansion budget.
func (p *parser) expand(s string) (string, error) {
	mark := p.mark
	if !strings.Contains(s, mark) {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, mark)
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i+len(mark):]
		j := strings.Index(s, mark)
		name := s[:j]
		s = s[j+len(mark):]
		if err := p.expandEntity(&b, name, 0); err != nil {
			return "", err
		}
	}
}

// expandEntity writes entity name's replacement text, expanding the
// character and entity references inside it.
func (p *parser) expandEntity(b *strings.Builder, name string, depth int) error {
	e := p.ents[name]
	switch {
	case e == nil:
		return fmt.Errorf("entity &%s; is not declared", name)
	case e.external:
		return fmt.Errorf("external entity &%s; is not loaded", name)
	case e.busy:
		return fmt.Errorf("entity &%s; refers to itself", name)
	case depth >= maxEntityNest:
		return fmt.Errorf("entities nest deeper than %d at &%s;", maxEntityNest, name)
	}
	e.busy = true
	defer func() { e.busy = false }()
	v := e.value
	for v != "" {
		i := strings.IndexByte(v, '&')
		if i < 0 {
			i = len(v)
		}
		if err := p.charge(i); err != nil {
			return err
		}
		b.WriteString(v[:i])
		v = v[i:]
		if v == "" {
			break
		}
		end := strings.IndexByte(v, ';')
		if end < 0 {
			return fmt.Errorf("unterminated reference in entity &%s;", name)
		}
		ref := v[1:end]
		v = v[end+1:]
		switch {
		case strings.HasPrefix(ref, "#"):
			r, ok := charRef(ref[1:])
			if !ok {
				return fmt.Errorf("bad character reference &%s; in entity &%s;", ref, name)
			}
			if err := p.charge(utf8.RuneLen(r)); err != nil {
				return err
			}
			b.WriteRune(r)
		case predefined[ref] != "":
			if err := p.charge(1); err != nil {
				return err
			}
			b.WriteString(predefined[ref])
		default:
			if err := p.expandEntity(b, ref, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) charge(n int) error {
	p.budget -= n
	if p.budget < 0 {
		return errors.New("entity expansion exceeds its limit (an entity bomb?)")
	}
	return nil
}

var predefined = map[string]string{"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": `"`}

func charRef(s string) (rune, bool) {
	base := 10
	if strings.HasPrefix(s, "x") {
		base, s = 16, s[1:]
	}
	var r rune
	if s == "" {
		return 0, false
	}
	for _, c := range s {
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case base == 16 && c|0x20 >= 'a' && c|0x20 <= 'f':
			d = c | 0x20 - 'a' + 10
		default:
			return 0, false
		}
		r = r*rune(base) + d
		if r > utf8.MaxRune {
			return 0, false
		}
	}
	return r, r != 0 && utf8.ValidRune(r)
}
