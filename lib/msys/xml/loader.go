// Package xml is the Lua module xml (`require("xml")`): Momentum's
// libxml2 binding. xml.parsexml parses a document; a document gives its
// root, its text and XPath queries; nodes are navigated (children, doc,
// name, attribute, contents) and edited (addchild, attribute, contents,
// unlink). Parsing is bounded: elements nest at most 256 deep and entity
// references expand to a bounded size.
package xml

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// DocClass and NodeClass are the Lua classes of documents and nodes.
var (
	DocClass  = luahost.NewClass[Doc]("xml.doc", "XML document")
	NodeClass = luahost.NewClass[Node]("xml.node", "XML node")
)

func init() {
	luahost.Register(luahost.Binding{Name: "xml", Open: open, Notes: map[string]string{
		"xml.parsexml": "CDATA sections become text; an entity's replacement text is read as text (markup in it " +
			"is not parsed); external entities are not loaded; input in UTF-8, ISO-8859-1 or US-ASCII",
		"XML document:xpath": "processing instructions cannot be selected",
	}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{"parsexml": luahost.Func("parsexml", parsexml)})
	luahost.SetFuncs(L, DocClass.Methods(L), map[string]lua.LGFunction{
		"root":     luahost.Method("root", docRoot),
		"tostring": luahost.Method("tostring", docString),
		"xpath":    luahost.Method("xpath", docXPath),
	})
	luahost.SetFuncs(L, DocClass.Meta(L), map[string]lua.LGFunction{
		"__tostring": luahost.Method("tostring", docString),
		"__eq":       luahost.Func("__eq", func(a luahost.Args) int { return a.Push(lua.LBool(DocClass.To(a.Get(1)) == DocClass.To(a.Get(2)))) }),
	})
	attr := luahost.Method("attribute", nodeAttribute)
	luahost.SetFuncs(L, NodeClass.Methods(L), map[string]lua.LGFunction{
		"addchild":  luahost.Method("addchild", nodeAddChild),
		"attribute": attr,
		"attr":      attr,
		"children":  luahost.Method("children", nodeChildren),
		"contents":  luahost.Method("contents", nodeContents),
		"doc":       luahost.Method("doc", nodeDoc),
		"name":      luahost.Method("name", nodeName),
		"tostring":  luahost.Method("tostring", nodeString),
		"unlink":    luahost.Method("unlink", nodeUnlink),
	})
	luahost.SetFuncs(L, NodeClass.Meta(L), map[string]lua.LGFunction{
		"__tostring": luahost.Method("tostring", nodeString),
		"__eq":       luahost.Func("__eq", nodeEqual),
	})
	return t
}

// xml.parsexml(str[, keep_blanks]) → a document, or nil and an error
// naming the line. keep_blanks other than 0 (or true) keeps white-space
// text between elements.
func parsexml(a luahost.Args) int {
	src := a.String(1)
	keep := false
	if b, ok := a.Get(2).(lua.LBool); ok {
		keep = bool(b)
	} else {
		keep = a.OptNumber(2, 0) != 0
	}
	doc, err := Parse(src, keep)
	if err != nil {
		return a.Failf("xml.parsexml: %v", err)
	}
	return a.Push(DocClass.Push(a.L, doc))
}

// doc:root() → the document element.
func docRoot(a luahost.Args) int {
	return a.Push(NodeClass.Push(a.L, DocClass.Check(a, 1).Root()))
}

// doc:tostring() → the document as text, with its declaration.
func docString(a luahost.Args) int {
	return a.Push(lua.LString(DocClass.Check(a, 1).String()))
}

// doc:xpath(query[, contextnode]) → an iterator over the selected nodes
// (or, for an expression giving a number, string or boolean, over that one
// value). The context node may also be given inside a table, {node}.
func docXPath(a luahost.Args) int {
	doc := DocClass.Check(a, 1)
	query := a.String(2)
	var ctx *Node
	switch v := a.Get(3).(type) {
	case *lua.LNilType:
	case *lua.LTable:
		if ctx = NodeClass.To(v.RawGetInt(1)); ctx == nil {
			a.Error(3, "XML node expected inside the table")
		}
	default:
		ctx = NodeClass.Check(a, 3)
	}
	nodes, scalar, err := XPath(doc, query, ctx)
	if err != nil {
		a.Raise("%v", err)
	}
	var values []lua.LValue
	if scalar != nil {
		switch s := scalar.(type) {
		case float64:
			values = []lua.LValue{lua.LNumber(s)}
		case string:
			values = []lua.LValue{lua.LString(s)}
		case bool:
			values = []lua.LValue{lua.LBool(s)}
		}
	}
	for _, n := range nodes {
		values = append(values, NodeClass.Push(a.L, n))
	}
	return a.Push(iterator(a.L, values))
}

// iterator returns a function giving values one by one, then nil.
func iterator(L *lua.LState, values []lua.LValue) *lua.LFunction {
	i := 0
	return L.NewFunction(func(L *lua.LState) int {
		if i >= len(values) {
			L.Push(lua.LNil)
			return 1
		}
		i++
		L.Push(values[i-1])
		return 1
	})
}

// node:addchild(value) → the child: a string adds a new element of that
// name; a node is moved (from wherever it was, another document included)
// to be the last child.
func nodeAddChild(a luahost.Args) int {
	n := NodeClass.Check(a, 1)
	if n.Kind != ElementNode {
		a.Raise("cannot add a child to a %s node", nodeName0(n))
	}
	if s, ok := a.Get(2).(lua.LString); ok {
		if !validName(string(s)) {
			a.Error(2, fmt.Sprintf("invalid element name '%s'", string(s)))
		}
		c := &Node{Kind: ElementNode, Name: string(s), Doc: n.Doc}
		n.AppendChild(c)
		return a.Push(NodeClass.Push(a.L, c))
	}
	c := NodeClass.Check(a, 2)
	switch c.Kind {
	case DocumentNode, AttributeNode:
		a.Error(2, "an element, text or comment node expected")
	}
	for p := n; p != nil; p = p.Parent {
		if p == c {
			a.Raise("cannot add a node inside itself")
		}
	}
	c.Unlink()
	n.AppendChild(c)
	c.setDoc(n.Doc)
	return a.Push(NodeClass.Push(a.L, c))
}

// node:attribute(name[, value]) (also node:attr): with one argument, the
// attribute's value or nil; with a value, sets it; with nil, removes it.
func nodeAttribute(a luahost.Args) int {
	n := NodeClass.Check(a, 1)
	name := a.String(2)
	if a.Top() < 3 {
		if n.Kind != ElementNode {
			return a.Push(lua.LNil)
		}
		if v, ok := n.Attr(name); ok {
			return a.Push(lua.LString(v))
		}
		return a.Push(lua.LNil)
	}
	if n.Kind != ElementNode {
		a.Raise("cannot set an attribute on a %s node", nodeName0(n))
	}
	if !validName(name) {
		a.Error(2, fmt.Sprintf("invalid attribute name '%s'", name))
	}
	v := a.Get(3)
	if v == lua.LNil {
		n.RemoveAttr(name)
		return 0
	}
	s, ok := luahost.ToString(v)
	if !ok {
		if b, isBool := v.(lua.LBool); isBool {
			s = b.String()
		} else {
			a.TypeError(3, "string")
		}
	}
	n.SetAttr(name, s)
	return 0
}

// node:children() → an iterator over the node's children, text nodes
// included, as they were when it was called.
func nodeChildren(a luahost.Args) int {
	n := NodeClass.Check(a, 1)
	var values []lua.LValue
	for c := n.FirstChild; c != nil; c = c.Next {
		values = append(values, NodeClass.Push(a.L, c))
	}
	return a.Push(iterator(a.L, values))
}

// node:contents([text]): without text, the node's text (an element's
// text descendants joined); with text, replaces an element's children by
// one text node (none for ""), or a text node's or attribute's value.
func nodeContents(a luahost.Args) int {
	n := NodeClass.Check(a, 1)
	if a.IsNone(2) {
		return a.Push(lua.LString(n.Text()))
	}
	s := a.String(2)
	switch n.Kind {
	case ElementNode:
		for c := n.FirstChild; c != nil; {
			next := c.Next
			c.Unlink()
			c = next
		}
		if s != "" {
			n.AppendChild(&Node{Kind: TextNode, Data: s, Doc: n.Doc})
		}
	case TextNode, CommentNode, PINode:
		n.Data = s
	case AttributeNode:
		if n.Parent != nil {
			n.Parent.SetAttr(n.Name, s)
		}
	}
	return 0
}

// node:doc() → the document the node belongs to.
func nodeDoc(a luahost.Args) int {
	return a.Push(DocClass.Push(a.L, NodeClass.Check(a, 1).Doc))
}

// node:name() → the element's name; "text" for a text node, "comment" for
// a comment, the target of a processing instruction, an attribute's name.
func nodeName(a luahost.Args) int {
	return a.Push(lua.LString(nodeName0(NodeClass.Check(a, 1))))
}

func nodeName0(n *Node) string {
	switch n.Kind {
	case TextNode:
		return "text"
	case CommentNode:
		return "comment"
	case DocumentNode:
		return "document"
	}
	return n.Name
}

// node:tostring() → the node and its subtree as text.
func nodeString(a luahost.Args) int {
	return a.Push(lua.LString(NodeClass.Check(a, 1).String()))
}

// node:unlink() → the node, detached from its parent (an attribute is
// removed from its element).
func nodeUnlink(a luahost.Args) int {
	n := NodeClass.Check(a, 1)
	if n.Kind == AttributeNode {
		if n.Parent != nil {
			n.Parent.RemoveAttr(n.Name)
			n.Parent = nil
		}
	} else if n.Kind != DocumentNode {
		n.Unlink()
	}
	return a.Push(a.Get(1))
}

// __eq: two handles of one node are equal (attribute nodes by element and
// name).
func nodeEqual(a luahost.Args) int {
	x, y := NodeClass.To(a.Get(1)), NodeClass.To(a.Get(2))
	if x == nil || y == nil {
		return a.Push(lua.LFalse)
	}
	if x.Kind == AttributeNode && y.Kind == AttributeNode {
		return a.Push(lua.LBool(x.Parent == y.Parent && x.Name == y.Name))
	}
	return a.Push(lua.LBool(x == y))
}
