package message

import (
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/lib/msys/core"
	"msyshost/lib/msys/pcre"
	"msyshost/luahost"
)

func openContent(L *lua.LState, methods *lua.LTable) {
	luahost.SetFuncs(L, methods, map[string]lua.LGFunction{
		"header":         luahost.Method("header", msgHeader),
		"body":           luahost.Method("body", msgBody),
		"raw":            luahost.Method("raw", msgRaw),
		"text":           luahost.Method("text", msgText),
		"build":          luahost.Method("build", msgBuild),
		"address_header": luahost.Method("address_header", msgAddressHeader),
		"body_match":     luahost.Method("body_match", msgBodyMatch),
		"raw_match":      luahost.Method("raw_match", msgRawMatch),
		"text_match":     luahost.Method("text_match", msgTextMatch),
		"body_replace":   luahost.Method("body_replace", msgBodyReplace),
		"raw_replace":    luahost.Method("raw_replace", msgRawReplace),
		"text_replace":   luahost.Method("text_replace", msgTextReplace),
	})
}

// stringList returns a header value argument: a string, or a table of
// strings (several fields).
func stringList(a luahost.Args, n int) []string {
	t, ok := a.L.Get(n).(*lua.LTable)
	if !ok {
		return []string{a.String(n)}
	}
	var out []string
	for i := 1; i <= t.Len(); i++ {
		switch v := t.RawGetInt(i).(type) {
		case lua.LString:
			out = append(out, string(v))
		case lua.LNumber:
			out = append(out, lua.LVAsString(v))
		default:
			a.Error(n, "table of strings expected, got a "+v.Type().String()+" in it")
		}
	}
	return out
}

// headerOp runs msg:header and msgpart:header on part p. nilDeletes says
// whether an explicit nil value deletes (msgpart) or reads (msg).
func headerOp(a luahost.Args, p *message.Part, nilDeletes bool) int {
	name := a.String(2)
	getting := a.L.GetTop() < 3 || (a.IsNone(3) && !nilDeletes)
	if getting {
		t := a.L.NewTable()
		for _, v := range p.Header.Values(name) {
			t.Append(lua.LString(v))
		}
		return a.Push(t)
	}
	if a.IsNone(3) || a.L.Get(3) == lua.LString("") {
		p.DelHeader(name)
		return a.Push(lua.LTrue)
	}
	values := stringList(a, 3)
	mode := a.OptString(4, message.ModeReplace)
	if mode != message.ModeReplace && mode != message.ModePrepend && mode != message.ModeAppend {
		a.Error(4, "'replace', 'prepend' or 'append' expected, got '"+mode+"'")
	}
	if err := p.SetHeader(name, values, mode); err != nil {
		a.Error(2, err.Error())
	}
	return a.Push(lua.LTrue)
}

// msg:header(name[, value[, mode]]).
//   - msg:header(name) → array of the values (1-based), RFC 2047 decoded;
//     msg:header(name, nil) reads too.
//   - msg:header(name, "") → true: deletes every field named name.
//   - msg:header(name, value[, mode]) → true: value is a string or a table
//     of strings (one field each); mode is "replace" (the default: delete
//     the fields of that name, then append), "prepend" (add at the top) or
//     "append" (add at the bottom). Non-ASCII is RFC 2047 encoded.
//
// Momentum's page contradicts itself on the default mode (prose: replace,
// example: append); msyshost follows the prose and msgpart:header.
func msgHeader(a luahost.Args) int {
	return headerOp(a, core.MessageClass.Check(a, 1).Root(), false)
}

// msg:body([value]) → the body: everything after the header,
// transfer encoding untouched. msyshost keeps messages without the SMTP
// end-of-data line, so a script sees no CRLF.CRLF when getting, as in
// Momentum; a value set with the terminator Momentum asks for
// ("...\r\n.\r\n") has it removed, and a value without it is taken as is.
// Setting returns the new body.
func msgBody(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	if !a.IsNone(2) {
		m.SetBody([]byte(a.String(2)))
	}
	return a.Push(lua.LString(m.Body()))
}

// msg:raw([value]) → the whole message (headers and body),
// replacing it first when value is given. MIME parts taken earlier are
// detached by a replacement: editing them returns nil and an error.
func msgRaw(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	if !a.IsNone(2) {
		m.SetRaw([]byte(a.String(2)))
	}
	return a.Push(lua.LString(m.Raw()))
}

// msg:text() / msg:text(value[, type[, charset]]).
//   - Getting → the transfer-decoded UTF-8 text of the text/* parts that
//     are not attachments: a string for one part, an array for several,
//     nil for none.
//   - Setting → true, or nil and an error: replaces the whole body with
//     value (UTF-8) as type (text/plain) in charset (UTF-8), transfer
//     encoded as needed; Content-Type and Content-Transfer-Encoding follow.
func msgText(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	if a.L.GetTop() < 2 {
		return pushTexts(a, m.Texts())
	}
	if err := m.SetText(a.String(2), a.OptString(3, ""), a.OptString(4, "")); err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LTrue)
}

func pushTexts(a luahost.Args, texts []string) int {
	switch len(texts) {
	case 0:
		return a.Push(lua.LNil)
	case 1:
		return a.Push(lua.LString(texts[0]))
	}
	t := a.L.NewTable()
	for _, s := range texts {
		t.Append(lua.LString(s))
	}
	return a.Push(t)
}

// msg:build(headers, parts, attachments) → true, or nil and an
// error. msg must be empty (msys.core.ec_message_new). headers maps name to
// value (or a table of values); parts maps content type to content (a
// string or ec_string), the
// alternatives (text/plain first, text/html last, others by name between);
// attachments is an array of {type=, name=, headers=, content=} where
// content is a string or ec_string (quoted-printable), an io_object (read
// to its end, base64) or an ec_message (message/rfc822). Header names are written in sorted order.
func msgBuild(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	ht := a.Table(2)
	var pt, at *lua.LTable
	if !a.IsNone(3) {
		pt = a.Table(3)
	}
	if !a.IsNone(4) {
		at = a.Table(4)
	}
	var headers []message.Field
	var names []string
	ht.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		if !ok {
			a.Error(2, "header names must be strings, got a "+k.Type().String())
		}
		names = append(names, string(name))
	})
	sort.Strings(names)
	for _, n := range names {
		switch v := ht.RawGetString(n).(type) {
		case lua.LString, lua.LNumber:
			headers = append(headers, message.Field{Name: n, Value: lua.LVAsString(v)})
		case *lua.LTable:
			for i := 1; i <= v.Len(); i++ {
				headers = append(headers, message.Field{Name: n, Value: lua.LVAsString(v.RawGetInt(i))})
			}
		default:
			a.Error(2, "header "+n+": string expected, got "+v.Type().String())
		}
	}
	var alts []message.Alternative
	if pt != nil {
		pt.ForEach(func(k, v lua.LValue) {
			ks, ok := k.(lua.LString)
			if !ok {
				a.Error(3, "content types must be strings, got a "+k.Type().String())
			}
			var content []byte
			if s := core.StringClass.To(v); s != nil {
				content = append(content, s.B...)
			} else if vs, ok := v.(lua.LString); ok {
				content = []byte(vs)
			} else {
				a.Error(3, "content of "+string(ks)+": string or ec_string expected, got "+v.Type().String())
			}
			alts = append(alts, message.Alternative{ContentType: string(ks), Content: content})
		})
	}
	sort.SliceStable(alts, func(i, j int) bool {
		ri, rj := altRank(alts[i].ContentType), altRank(alts[j].ContentType)
		if ri != rj {
			return ri < rj
		}
		return alts[i].ContentType < alts[j].ContentType
	})
	var atts []message.Attachment
	if at != nil {
		for i := 1; i <= at.Len(); i++ {
			e, ok := at.RawGetInt(i).(*lua.LTable)
			if !ok {
				a.Error(4, "array of attachment tables expected")
			}
			att := message.Attachment{
				Type:    lua.LVAsString(e.RawGetString("type")),
				Name:    lua.LVAsString(e.RawGetString("name")),
				Headers: lua.LVAsString(e.RawGetString("headers")),
			}
			switch c := e.RawGetString("content").(type) {
			case lua.LString:
				att.Content = []byte(c)
			case *lua.LUserData:
				if msg, ok := c.Value.(*message.Message); ok {
					att.Message = msg
				} else if s := core.StringClass.To(c); s != nil {
					att.Content = append([]byte(nil), s.B...)
				} else if o := core.IOClass.To(c); o != nil {
					b, err := o.ReadAll()
					if err != nil {
						return a.Fail(err)
					}
					att.Content, att.Binary = b, true
				} else {
					a.Error(4, "attachment content: string, io_object or ec_message expected")
				}
			default:
				a.Error(4, "attachment content: string, io_object or ec_message expected, got "+c.Type().String())
			}
			atts = append(atts, att)
		}
	}
	if err := m.Build(headers, alts, atts); err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LTrue)
}

func altRank(ct string) int {
	switch mt := strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0])); mt {
	case "text/plain":
		return 0
	case "text/html":
		return 2
	}
	return 1
}

// addressHeader runs msg:address_header and msgpart:address_header.
func addressHeader(a luahost.Args, p *message.Part) int {
	name := a.String(2)
	comp := a.OptString(3, message.CompAll)
	list, err := message.AddressHeader(&p.Header, name, comp)
	if err != nil {
		a.Error(3, err.Error())
	}
	t := a.L.NewTable()
	for _, s := range list {
		t.Append(lua.LString(s))
	}
	return a.Push(t)
}

// msg:address_header(name[, component]) → array: the
// component ("all", the default, "localpart", "user", "detail" or
// "domain", from user+detail@domain) of every address in every field
// named name.
func msgAddressHeader(a luahost.Args) int {
	return addressHeader(a, core.MessageClass.Check(a, 1).Root())
}

// compile compiles argument n as a PCRE pattern; a bad pattern is a
// runtime failure (nil, error), as in msys.pcre.
func compile(a luahost.Args, n int) (*message.Regexp, error) {
	return message.CompileRegexp(a.String(n))
}

// pushMatch pushes a match as msys.pcre.match does: [0] the whole match,
// [1]... the captures, named captures also under their names; false when
// nothing matched.
func pushMatch(a luahost.Args, m *message.Match) int {
	if m == nil {
		return a.Push(lua.LFalse)
	}
	return a.Push(pcre.MatchTable(a.L, m))
}

// matchIn runs pattern argument 2 over subjects in order and pushes the
// first match.
func matchIn(a luahost.Args, subjects func() [][]byte) int {
	re, err := compile(a, 2)
	if err != nil {
		return a.Fail(err)
	}
	defer re.Close()
	for _, s := range subjects() {
		m, err := re.Find(s)
		if err != nil {
			return a.Fail(err)
		}
		if m != nil {
			return pushMatch(a, m)
		}
	}
	return a.Push(lua.LFalse)
}

// replaceIn replaces pattern argument 2 with argument 3 in a subject and
// stores the result when something matched; pushes true or false.
func replaceIn(a luahost.Args, get func() []byte, set func([]byte)) int {
	re, err := compile(a, 2)
	if err != nil {
		return a.Fail(err)
	}
	defer re.Close()
	repl := a.String(3)
	out, n, err := re.ReplaceAll(get(), repl)
	if err != nil {
		return a.Fail(err)
	}
	if n == 0 {
		return a.Push(lua.LFalse)
	}
	set(out)
	return a.Push(lua.LTrue)
}

func textSubjects(parts []*message.Part) func() [][]byte {
	return func() [][]byte {
		var out [][]byte
		for _, p := range parts {
			if t, ok := p.Text(); ok {
				out = append(out, []byte(t))
			}
		}
		return out
	}
}

// msg:body_match(pattern) → the first PCRE match in the
// body (as msg:body gives it) as msys.pcre.match's table, or false.
func msgBodyMatch(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	return matchIn(a, func() [][]byte { return [][]byte{m.Body()} })
}

// msg:raw_match(pattern) → the first match in the whole
// message, or false.
func msgRawMatch(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	return matchIn(a, func() [][]byte { return [][]byte{m.Raw()} })
}

// msg:text_match(pattern) → the first match in the decoded
// text parts (in order), or false.
func msgTextMatch(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	return matchIn(a, textSubjects(m.TextParts()))
}

// msg:body_replace(pattern, replacement) → true when
// something was replaced, false when nothing matched. $1.. and ${name} in
// replacement stand for captures, $0 for the match.
func msgBodyReplace(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	return replaceIn(a, m.Body, func(b []byte) { m.Root().ReplaceBody(b) })
}

// msg:raw_replace(pattern, replacement) → true or false,
// over the whole message.
func msgRawReplace(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	return replaceIn(a, m.Raw, m.SetRaw)
}

// msg:text_replace(pattern, replacement) → true or
// false: replaces in every text part's decoded text and writes each
// changed part back in its charset and transfer encoding (a 7bit part that
// stops being 7-bit clean becomes quoted-printable).
func msgTextReplace(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	re, err := compile(a, 2)
	if err != nil {
		return a.Fail(err)
	}
	defer re.Close()
	ok, err := m.ReplaceText(re, a.String(3))
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LBool(ok))
}
