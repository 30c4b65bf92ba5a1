package message

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

func openMIME(L *lua.LState, methods *lua.LTable) {
	luahost.SetFuncs(L, methods, map[string]lua.LGFunction{
		"mime":          luahost.Method("mime", msgMime),
		"makePart":      luahost.Method("makePart", msgMakePart),
		"makeContainer": luahost.Method("makeContainer", msgMakeContainer),
		"makeBoundary":  luahost.Method("makeBoundary", msgMakeBoundary),
	})
	luahost.SetFuncs(L, core.PartClass.Methods(L), map[string]lua.LGFunction{
		"addFirstChild":  luahost.Method("addFirstChild", partAddFirstChild),
		"addLastChild":   luahost.Method("addLastChild", partAddLastChild),
		"insertBefore":   luahost.Method("insertBefore", partInsertBefore),
		"insertAfter":    luahost.Method("insertAfter", partInsertAfter),
		"content_type":   luahost.Method("content_type", partContentType),
		"header":         luahost.Method("header", partHeader),
		"address_header": luahost.Method("address_header", partAddressHeader),
		"text":           luahost.Method("text", partText),
		"body_match":     luahost.Method("body_match", partBodyMatch),
		"raw_match":      luahost.Method("raw_match", partRawMatch),
		"text_match":     luahost.Method("text_match", partTextMatch),
		"body_replace":   luahost.Method("body_replace", partBodyReplace),
		"raw_replace":    luahost.Method("raw_replace", partRawReplace),
		"text_replace":   luahost.Method("text_replace", partTextReplace),
	})
	field := core.PartClass.Field
	field(L, "parts", partParts, nil)
	field(L, "thread", func(L *lua.LState, r *core.PartRef) lua.LValue {
		return core.PushPart(L, r.Part.Next(), r.ReadOnly)
	}, nil)
	field(L, "parent", func(L *lua.LState, r *core.PartRef) lua.LValue {
		return core.PushPart(L, r.Part.Parent(), r.ReadOnly)
	}, nil)
	field(L, "body_start", func(L *lua.LState, r *core.PartRef) lua.LValue {
		return lua.LNumber(len(r.Part.Bytes()) - len(r.Part.BodyBytes()))
	}, ignoreOffset)
	field(L, "body_end", func(L *lua.LState, r *core.PartRef) lua.LValue {
		return lua.LNumber(len(r.Part.Bytes()))
	}, ignoreOffset)
}

// msgpart.parts → an array of a container's parts, nil for a
// leaf.
func partParts(L *lua.LState, r *core.PartRef) lua.LValue {
	if !r.Part.IsContainer() {
		return lua.LNil
	}
	t := L.NewTable()
	for _, c := range r.Part.Children() {
		t.Append(core.PushPart(L, c, r.ReadOnly))
	}
	return t
}

// ignoreOffset accepts msgpart.body_start/body_end = n: Momentum scripts
// set them on new parts (the addLastChild example); msyshost computes the
// offsets from the part itself, so the value is only checked.
func ignoreOffset(L *lua.LState, _ *core.PartRef, v lua.LValue) {
	if _, ok := v.(lua.LNumber); !ok {
		L.RaiseError("msgpart offsets are numbers, got %s", v.Type().String())
	}
}

// msg:mime([readonly]) → the top of the MIME tree. readonly
// defaults to true; pass false for a tree you may edit (editing through a
// read-only tree is a runtime error). part.thread walks the whole tree,
// part.parts lists a container's parts.
func msgMime(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	ro := true
	if a.L.GetTop() >= 2 {
		ro = lua.LVAsBool(a.L.Get(2))
	}
	return a.Push(core.PushPart(a.L, m.Root(), ro))
}

// bodyArg reads an optional body argument: a string or an ec_string.
func bodyArg(a luahost.Args, n int) []byte {
	if a.IsNone(n) {
		return nil
	}
	if s := core.StringClass.To(a.L.Get(n)); s != nil {
		return append([]byte(nil), s.B...)
	}
	return []byte(a.String(n))
}

// msg:makePart(mimetype[, body[, enc]]) → a new unlinked
// leaf part (writable) holding body, transfer encoded with enc
// (msys.core.EC_MIME_TE_7BIT, the default, _8BIT, _BASE64 or
// _QUOTED_PRINTABLE); nil and an error for a bad type.
func msgMakePart(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	mt := a.String(2)
	body := bodyArg(a, 3)
	te := a.OptInt(4, message.TE7Bit)
	if te < message.TE7Bit || te > message.TEQuotedPrintable {
		a.Error(4, "msys.core.EC_MIME_TE_* expected")
	}
	p, err := m.MakePart(mt, body, te)
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(core.PushPart(a.L, p, false))
}

// msg:makeContainer(mimetype[, boundary[,
// add_terminator]]) → a new unlinked, empty multipart part (writable); an
// empty boundary gets a unique one, any other must be RFC 2046's (1 to 70
// of letters, digits, space and '()+_,-./:=?, no final space);
// add_terminator appends the SMTP
// end-of-data line, for a part meant to be the top of a message. nil and an
// error when mimetype is not multipart/*.
func msgMakeContainer(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	mt := a.String(2)
	boundary := a.OptString(3, "")
	if boundary != "" {
		if err := message.CheckBoundary(boundary); err != nil {
			a.Error(3, err.Error())
		}
	}
	term := lua.LVAsBool(a.L.Get(4))
	p, err := m.MakeContainer(mt, boundary, term)
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(core.PushPart(a.L, p, false))
}

// msg:makeBoundary(...) → a boundary string found
// neither in the message nor in any part, message or string passed.
func msgMakeBoundary(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	avoid := [][]byte{m.Raw()}
	for i := 2; i <= a.L.GetTop(); i++ {
		v := a.L.Get(i)
		if p := core.PartClass.To(v); p != nil {
			avoid = append(avoid, p.Part.Bytes())
		} else if o := core.MessageClass.To(v); o != nil {
			avoid = append(avoid, o.Raw())
		} else if s, ok := v.(lua.LString); ok {
			avoid = append(avoid, []byte(s))
		} else if v != lua.LNil {
			a.TypeError(i, "msgpart, ec_message or string")
		}
	}
	return a.Push(lua.LString(message.NewBoundary(avoid...)))
}

// treeEdit runs a tree edit of a writable part with a part argument;
// pushes true, false when the edit is not possible (not a container, no
// parent, a cycle, the top of a message, a clashing boundary), or nil and
// an error when either part is detached from its message.
func treeEdit(a luahost.Args, edit func(self, other *message.Part) error) int {
	self, err1 := core.EditPart(a, 1)
	other, err2 := core.EditPart(a, 2)
	if err1 != nil || err2 != nil {
		return a.Fail(message.ErrDetached)
	}
	return a.Push(lua.LBool(edit(self, other) == nil))
}

// msgpart:addFirstChild(child) → true, or false when
// this part is not a container, child contains it, child is the top of a
// message, or a container in child has a boundary that clashes with one
// enclosing this part. child leaves any container it was in and becomes
// part of this part's message.
func partAddFirstChild(a luahost.Args) int {
	return treeEdit(a, func(p, c *message.Part) error { return p.AddFirstChild(c) })
}

// msgpart:addLastChild(child) → true or false, as
// addFirstChild.
func partAddLastChild(a luahost.Args) int {
	return treeEdit(a, func(p, c *message.Part) error { return p.AddLastChild(c) })
}

// msgpart:insertBefore(p) → true, or false when p has
// no container: places this part just before p.
func partInsertBefore(a luahost.Args) int {
	return treeEdit(a, func(self, p *message.Part) error { return self.InsertBefore(p) })
}

// msgpart:insertAfter(p) → true or false: places this
// part just after p.
func partInsertAfter(a luahost.Args) int {
	return treeEdit(a, func(self, p *message.Part) error { return self.InsertAfter(p) })
}

// msgpart:content_type() → {mimetype=, charset=,
// encoding=, is_attachment=, filename=}. The Content-Disposition filename
// wins over the Content-Type name; is_attachment is true when there is a
// filename or the disposition is attachment. charset is nil for non-text
// parts without one, filename nil when there is none.
func partContentType(a luahost.Args) int {
	ci := core.PartClass.Check(a, 1).Part.ContentInfo()
	t := a.L.NewTable()
	t.RawSetString("mimetype", lua.LString(ci.MimeType))
	if ci.Charset != "" {
		t.RawSetString("charset", lua.LString(ci.Charset))
	}
	t.RawSetString("encoding", lua.LString(ci.Encoding))
	t.RawSetString("is_attachment", lua.LBool(ci.IsAttachment))
	if ci.Filename != "" {
		t.RawSetString("filename", lua.LString(ci.Filename))
	}
	return a.Push(t)
}

// msgpart:header(name[, value[, mode]]): as msg:header, on
// this part's header, except that an explicit nil value unsets the header
// (as "" does). Setting needs a writable part.
func partHeader(a luahost.Args) int {
	if a.L.GetTop() >= 3 {
		p, err := core.EditPart(a, 1)
		if err != nil {
			return a.Fail(err)
		}
		return headerOp(a, p, true)
	}
	return headerOp(a, core.PartClass.Check(a, 1).Part, true)
}

// msgpart:address_header(name[, component]), as
// msg:address_header on this part's header.
func partAddressHeader(a luahost.Args) int {
	return addressHeader(a, core.PartClass.Check(a, 1).Part)
}

// msgpart:text() → the part's decoded UTF-8 text, nil when it
// is not a text part; msgpart:text(value[, type[, charset]]) → true, or
// nil and an error: replaces the content as msg:text does for the whole
// body, keeping the part's other header fields. No dot-stuffing is done
// (msyshost never dot-stuffs stored messages).
func partText(a luahost.Args) int {
	if a.L.GetTop() < 2 {
		t, ok := core.PartClass.Check(a, 1).Part.Text()
		if !ok {
			return a.Push(lua.LNil)
		}
		return a.Push(lua.LString(t))
	}
	p, err := core.EditPart(a, 1)
	if err != nil {
		return a.Fail(err)
	}
	if err := p.SetText(a.String(2), a.OptString(3, ""), a.OptString(4, "")); err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LTrue)
}

// msgpart:body_match(pattern) → the first match in the
// part's body (transfer encoded; a container's whole multipart body), or
// false.
func partBodyMatch(a luahost.Args) int {
	p := core.PartClass.Check(a, 1).Part
	return matchIn(a, func() [][]byte { return [][]byte{p.BodyBytes()} })
}

// msgpart:raw_match(pattern) → the first match in the
// part's header and body, or false.
func partRawMatch(a luahost.Args) int {
	p := core.PartClass.Check(a, 1).Part
	return matchIn(a, func() [][]byte { return [][]byte{p.Bytes()} })
}

// msgpart:text_match(pattern) → the first match in the
// decoded text of this part, or of the text parts under a container (not
// attachments, as msg:text_match), or false.
func partTextMatch(a luahost.Args) int {
	return matchIn(a, textSubjects(core.PartClass.Check(a, 1).Part.TextParts()))
}

// msgpart:body_replace(pattern, replacement) → true or
// false, over the part's body (a container is split into parts again).
func partBodyReplace(a luahost.Args) int {
	p, err := core.EditPart(a, 1)
	if err != nil {
		return a.Fail(err)
	}
	return replaceIn(a, p.BodyBytes, p.ReplaceBody)
}

// msgpart:raw_replace(pattern, replacement) → true or
// false, over the part's header and body.
func partRawReplace(a luahost.Args) int {
	p, err := core.EditPart(a, 1)
	if err != nil {
		return a.Fail(err)
	}
	return replaceIn(a, p.Bytes, p.SetBytes)
}

// msgpart:text_replace(pattern, replacement) → true or
// false: as msg:text_replace, for this part (and the text parts under a
// container, not attachments); nil and an error for a detached part.
func partTextReplace(a luahost.Args) int {
	p, err := core.EditPart(a, 1)
	if err != nil {
		return a.Fail(err)
	}
	re, err := compile(a, 2)
	if err != nil {
		return a.Fail(err)
	}
	defer re.Close()
	ok, err := p.ReplaceText(re, a.String(3))
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LBool(ok))
}
