package xml

import "strings"

// Output follows libxml2's formatted dump (xmlDocDumpFormatMemoryEnc with
// format 1, as Momentum's binding calls it): the declaration, then each
// top-level node on its own line; an element whose children include no
// text is indented two spaces a level, one whose content is mixed is
// written as it is; empty elements are self-closed.

// String returns the document as text.
func (d *Doc) String() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf8"?>` + "\n")
	if d.Doctype != "" {
		b.WriteString(d.Doctype)
		b.WriteByte('\n')
	}
	for c := d.Node.FirstChild; c != nil; c = c.Next {
		writeNode(&b, c, 0, true)
		b.WriteByte('\n')
	}
	return b.String()
}

// String returns the node and its subtree as text.
func (n *Node) String() string {
	var b strings.Builder
	switch n.Kind {
	case DocumentNode:
		return n.Doc.String()
	case AttributeNode:
		v, _ := n.attrValue()
		b.WriteString(n.Name + `="`)
		escape(&b, v, true)
		b.WriteByte('"')
	default:
		writeNode(&b, n, 0, true)
	}
	return b.String()
}

func writeNode(b *strings.Builder, n *Node, level int, format bool) {
	switch n.Kind {
	case TextNode:
		escape(b, n.Data, false)
	case CommentNode:
		b.WriteString("<!--" + n.Data + "-->")
	case PINode:
		b.WriteString("<?" + n.Name)
		if n.Data != "" {
			b.WriteString(" " + n.Data)
		}
		b.WriteString("?>")
	case ElementNode:
		b.WriteString("<" + n.Name)
		for _, a := range n.Attrs {
			b.WriteString(" " + a.Name + `="`)
			escape(b, a.Value, true)
			b.WriteByte('"')
		}
		if n.FirstChild == nil {
			b.WriteString("/>")
			return
		}
		b.WriteByte('>')
		indent := format
		for c := n.FirstChild; c != nil && indent; c = c.Next {
			if c.Kind == TextNode {
				indent = false
			}
		}
		for c := n.FirstChild; c != nil; c = c.Next {
			if indent {
				b.WriteByte('\n')
				b.WriteString(strings.Repeat("  ", level+1))
			}
			writeNode(b, c, level+1, indent)
		}
		if indent {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("  ", level))
		}
		b.WriteString("</" + n.Name + ">")
	}
}

// escape writes s with the characters XML requires escaped; in attribute
// values also quotes and the white space a parser would normalise.
func escape(b *strings.Builder, s string, attr bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<':
			b.WriteString("&lt;")
		case c == '>':
			b.WriteString("&gt;")
		case c == '&':
			b.WriteString("&amp;")
		case c == '\r':
			b.WriteString("&#13;")
		case attr && c == '"':
			b.WriteString("&quot;")
		case attr && c == '\n':
			b.WriteString("&#10;")
		case attr && c == '\t':
			b.WriteString("&#9;")
		default:
			b.WriteByte(c)
		}
	}
}

// Text is the node's string value: an element's text descendants joined,
// a text or comment node's content, an attribute's value.
func (n *Node) Text() string {
	switch n.Kind {
	case TextNode, CommentNode, PINode:
		return n.Data
	case AttributeNode:
		v, _ := n.attrValue()
		return v
	}
	var b strings.Builder
	var walk func(*Node)
	walk = func(p *Node) {
		for c := p.FirstChild; c != nil; c = c.Next {
			switch c.Kind {
			case TextNode:
				b.WriteString(c.Data)
			case ElementNode:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// Attr returns the value of attribute name of an element.
func (n *Node) Attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// SetAttr sets attribute name, keeping its place when it exists.
func (n *Node) SetAttr(name, value string) {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			n.Attrs[i].Value = value
			return
		}
	}
	n.Attrs = append(n.Attrs, Attr{Name: name, Value: value})
}

// RemoveAttr removes attribute name.
func (n *Node) RemoveAttr(name string) {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			n.Attrs = append(n.Attrs[:i], n.Attrs[i+1:]...)
			return
		}
	}
}

func (n *Node) attrValue() (string, bool) {
	if n.Parent == nil {
		return "", false
	}
	return n.Parent.Attr(n.Name)
}
