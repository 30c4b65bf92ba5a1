package xml

import (
	"fmt"
	"strings"

	"github.com/antchfx/xpath"
)

// XPath evaluates expr with ctx as the context node (the document node
// when nil). A node-set gives its nodes in document order; a number,
// string or boolean gives that value.
func XPath(doc *Doc, expr string, ctx *Node) (nodes []*Node, scalar any, err error) {
	e, err := xpath.Compile(expr)
	if err != nil {
		return nil, nil, fmt.Errorf("xpath %q: %w", expr, err)
	}
	if ctx == nil {
		ctx = doc.Node
	}
	if ctx.Doc != doc {
		return nil, nil, fmt.Errorf("xpath %q: the context node belongs to another document", expr)
	}
	start := &navigator{root: doc.Node, cur: ctx, attr: -1}
	if ctx.Kind == AttributeNode {
		start.cur = ctx.Parent
		for i, a := range ctx.Parent.Attrs {
			if a.Name == ctx.Name {
				start.attr = i
			}
		}
	}
	switch v := e.Evaluate(start).(type) {
	case *xpath.NodeIterator:
		for v.MoveNext() {
			nodes = append(nodes, v.Current().(*navigator).node())
		}
		return nodes, nil, nil
	default:
		return nil, v, nil
	}
}

// navigator walks the tree for github.com/antchfx/xpath. Processing
// instructions are not visited (the library has no node type for them);
// namespace declarations are not attributes, as in the XPath data model.
type navigator struct {
	root *Node
	cur  *Node
	attr int // index into cur.Attrs, or -1
}

func (n *navigator) node() *Node {
	if n.attr >= 0 {
		return &Node{Kind: AttributeNode, Name: n.cur.Attrs[n.attr].Name, Parent: n.cur, Doc: n.cur.Doc}
	}
	return n.cur
}

func (n *navigator) NodeType() xpath.NodeType {
	if n.attr >= 0 {
		return xpath.AttributeNode
	}
	switch n.cur.Kind {
	case DocumentNode:
		return xpath.RootNode
	case ElementNode:
		return xpath.ElementNode
	case CommentNode:
		return xpath.CommentNode
	}
	return xpath.TextNode
}

func split(q string) (prefix, local string) {
	if i := strings.IndexByte(q, ':'); i >= 0 {
		return q[:i], q[i+1:]
	}
	return "", q
}

func (n *navigator) LocalName() string {
	if n.attr >= 0 {
		_, l := split(n.cur.Attrs[n.attr].Name)
		return l
	}
	_, l := split(n.cur.Name)
	return l
}

func (n *navigator) Prefix() string {
	if n.attr >= 0 {
		p, _ := split(n.cur.Attrs[n.attr].Name)
		return p
	}
	p, _ := split(n.cur.Name)
	return p
}

func (n *navigator) Value() string {
	if n.attr >= 0 {
		return n.cur.Attrs[n.attr].Value
	}
	return n.cur.Text()
}

func (n *navigator) Copy() xpath.NodeNavigator { c := *n; return &c }

func (n *navigator) MoveToRoot() { n.cur, n.attr = n.root, -1 }

func (n *navigator) MoveToParent() bool {
	if n.attr >= 0 {
		n.attr = -1
		return true
	}
	if n.cur.Parent == nil {
		return false
	}
	n.cur = n.cur.Parent
	return true
}

func isNS(name string) bool { return name == "xmlns" || strings.HasPrefix(name, "xmlns:") }

func (n *navigator) MoveToNextAttribute() bool {
	if n.cur.Kind != ElementNode {
		return false
	}
	for i := n.attr + 1; i < len(n.cur.Attrs); i++ {
		if !isNS(n.cur.Attrs[i].Name) {
			n.attr = i
			return true
		}
	}
	return false
}

func visible(c *Node) bool { return c.Kind != PINode }

func (n *navigator) MoveToChild() bool {
	if n.attr >= 0 {
		return false
	}
	for c := n.cur.FirstChild; c != nil; c = c.Next {
		if visible(c) {
			n.cur = c
			return true
		}
	}
	return false
}

func (n *navigator) MoveToFirst() bool {
	if n.attr >= 0 || n.cur.Parent == nil {
		return false
	}
	for c := n.cur.Parent.FirstChild; c != nil; c = c.Next {
		if visible(c) {
			n.cur = c
			return true
		}
	}
	return false
}

func (n *navigator) MoveToNext() bool {
	if n.attr >= 0 {
		return false
	}
	for c := n.cur.Next; c != nil; c = c.Next {
		if visible(c) {
			n.cur = c
			return true
		}
	}
	return false
}

func (n *navigator) MoveToPrevious() bool {
	if n.attr >= 0 {
		return false
	}
	for c := n.cur.Prev; c != nil; c = c.Prev {
		if visible(c) {
			n.cur = c
			return true
		}
	}
	return false
}

func (n *navigator) MoveTo(other xpath.NodeNavigator) bool {
	o, ok := other.(*navigator)
	if !ok || o.root != n.root {
		return false
	}
	*n = *o
	return true
}
