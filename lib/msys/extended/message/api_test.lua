-- Lua tests of msys.extended.message: every msg and msgpart method. Edits
-- are checked by re-parsing msg:raw() into a fresh message.

local core = require("msys.core")
local mod = require("msys.extended.message")

local function new(raw)
  local msg = core.ec_message_new(nil)
  if raw then
    msg:raw(raw)
  end
  return msg
end

-- reparse returns a fresh message holding msg's raw bytes.
local function reparse(msg)
  return new(msg:raw())
end

local MULTI = "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>\r\n" ..
  "To: Bob <bob+news@Example.COM>, carol@example.org\r\n" ..
  "Subject: =?utf-8?B?SGVsbG8g4pyT?=\r\n" ..
  "MIME-Version: 1.0\r\n" ..
  "Content-Type: multipart/mixed; boundary=\"outer\"\r\n" ..
  "\r\n" ..
  "--outer\r\n" ..
  "Content-Type: multipart/alternative; boundary=inner\r\n" ..
  "\r\n" ..
  "--inner\r\n" ..
  "Content-Type: text/plain; charset=iso-8859-1\r\n" ..
  "Content-Transfer-Encoding: quoted-printable\r\n" ..
  "\r\n" ..
  "Caf=E9 cr=E8me\r\n" ..
  "--inner\r\n" ..
  "Content-Type: text/html; charset=utf-8\r\n" ..
  "Content-Transfer-Encoding: base64\r\n" ..
  "\r\n" ..
  "PHA+Q2Fmw6k8L3A+\r\n" ..
  "--inner--\r\n" ..
  "--outer\r\n" ..
  "Content-Type: application/octet-stream; name=\"a.bin\"\r\n" ..
  "Content-Disposition: attachment; filename=\"report.bin\"\r\n" ..
  "Content-Transfer-Encoding: base64\r\n" ..
  "\r\n" ..
  "AAECAw==\r\n" ..
  "--outer--\r\n"

local SIMPLE = "From: a@example.com\r\nSubject: original\r\n\r\nHello world\r\nsecond line\r\n"

function TestRequire(t)
  t:eq(mod, true, "require result")
end

function TestFields(t)
  local msg = new()
  if type(msg.id) ~= "string" or not string.find(msg.id, "^%x%x/%x%x%-%d+%-%x+$") then
    t:error("msg.id = " .. tostring(msg.id))
  end
  t:eq(msg.conn_id, "", "conn_id")
  t:eq(msg.batch_id, "", "batch_id")
  t:eq(msg.priority, 0, "priority")
  msg.priority = 1
  t:eq(msg.priority, 1, "priority set")
  msg.priority = 2
  t:eq(msg.priority, 0, "priority is one bit")
  t:raises(function() msg.priority = "high" end, "must be a number", "priority string")
  t:raises(function() msg.id = "x" end, "cannot set field 'id'", "id read-only")
  t:raises(function() msg.conn_id = "x" end, "cannot set field", "conn_id read-only")
  t:raises(function() msg.batch_id = "x" end, "cannot set field", "batch_id read-only")
  if new().id == msg.id then
    t:error("ids repeat")
  end
end

function TestEnvelope(t)
  local msg = new(SIMPLE)
  t:eq(msg:mailfrom(), "", "empty mailfrom")
  t:eq(msg:mailfrom("Sender@Example.com"), "Sender@Example.com", "set mailfrom")
  t:eq(msg:mailfrom(), "Sender@Example.com", "get mailfrom")
  t:eq(msg:rcptto("15551234@smpp.example.com"), "15551234@smpp.example.com", "set rcptto")
  t:eq(msg:rcptto(), "15551234@smpp.example.com", "get rcptto")
  t:raises(function() msg:mailfrom({}) end, "bad argument #1 to 'mailfrom' (string expected, got table)", "mailfrom table")
  t:raises(function() msg.rcptto(nil) end, "bad argument #1 to 'rcptto' (ec_message expected, got nil)", "bad self")
  t:raises(function() msg:mailfrom("a@b\r\nRCPT TO:<x@y>") end, "bad argument #1 to 'mailfrom'", "mailfrom CRLF")
  t:raises(function() msg:rcptto("a@b\n") end, "bad argument #1 to 'rcptto'", "rcptto LF")
  t:eq(msg:rcptto(), "15551234@smpp.example.com", "rcptto kept after a refused value")

  local lp, dom = core.string_new(), core.string_new()
  t:eq(msg:get_envelope2(core.EC_MSG_ENV_FROM, lp, dom), true, "get_envelope2")
  t:eq(tostring(lp), "Sender", "from local part")
  t:eq(tostring(dom), "Example.com", "from domain")
  msg:get_envelope2(core.EC_MSG_ENV_TO, lp, dom)
  t:eq(tostring(lp), "15551234", "to local part")
  t:eq(tostring(dom), "smpp.example.com", "to domain")
  msg:get_envelope2(core.EC_MSG_ENV_TO + core.EC_MSG_ENV_COMPLETE, lp, dom)
  t:eq(tostring(lp), "15551234@smpp.example.com", "complete")
  t:eq(tostring(dom), "", "complete leaves domain empty")
  t:raises(function() msg:get_envelope2(core.EC_MSG_ENV_FROM + core.EC_MSG_ENV_TO, lp, dom) end,
    "bad argument #1 to 'get_envelope2'", "FROM|TO")
  t:raises(function() msg:get_envelope2(core.EC_MSG_ENV_FROM, "x", dom) end,
    "bad argument #2 to 'get_envelope2' (ec_string expected, got string)", "plain string")
end

function TestInject(t)
  local msg = new(SIMPLE)
  msg:mailfrom("orig@example.com")
  msg:rcptto("orig@example.net")
  msg:context_set(core.ECMESS_CTX_MESS, "k", "v")
  msg:header("X-Injected", "yes")
  t:eq(msg:inject("new@example.com", "a@example.com"), true, "inject")
  t:eq(msg:inject("new@example.com", " b@example.org , c@example.net,"), true, "inject list")
  -- The message itself keeps its envelope.
  t:eq(msg:mailfrom(), "orig@example.com", "mailfrom unchanged")
  t:eq(msg:rcptto(), "orig@example.net", "rcptto unchanged")
  local ok, err = msg:inject("new@example.com", " , ")
  t:eq(ok, nil, "no recipients")
  t:eq(err, "no recipients", "no recipients error")
  t:raises(function() msg:inject("a@b") end, "bad argument #2 to 'inject' (string expected, got no value)", "missing rcpt")
  -- Every address is checked before the first copy goes (TestAPI counts
  -- the copies: none of these).
  ok, err = msg:inject("new@example.com", "d@example.com, e@example.com\r\nDATA")
  t:eq(ok, nil, "bad recipient in a list")
  if not string.find(tostring(err), "line break", 1, true) then t:error("error: " .. tostring(err)) end
  ok, err = msg:inject("new@example.com\r\n", "d@example.com")
  t:eq(ok, nil, "bad sender")
end

function TestInjectForward(t)
  local msg = new(SIMPLE)
  t:eq(msg:forward("fw@example.com", "x@example.com,y@example.com", "see below"), true, "forward")
  t:raises(function() msg:forward("a", "b") end, "bad argument #3 to 'forward'", "missing text")
end

function TestHeaderGet(t)
  local msg = new(MULTI)
  local from = msg:header("From")
  t:eq(type(from), "table", "get returns a table")
  t:eq(from[1], "André <andre@example.com>", "RFC 2047 decoded")
  t:eq(msg:header("subject")[1], "Hello ✓", "case-insensitive, UTF-8")
  t:eq(#msg:header("X-Missing"), 0, "missing header gives an empty table")
  t:eq(#msg:header("From", nil), 1, "explicit nil reads")
  t:raises(function() msg:header(nil) end, "bad argument #1 to 'header' (string expected, got nil)", "nil name")
end

function TestHeaderSet(t)
  local msg = new(SIMPLE)
  t:eq(msg:header("X-A", "1"), true, "default mode")
  t:eq(msg:header("X-A", "2"), true, "default mode again")
  t:eq(table.concat(msg:header("X-A"), ","), "2", "default mode is replace")
  msg:header("X-A", "3", "append")
  msg:header("X-A", "0", "prepend")
  t:eq(table.concat(msg:header("X-A"), ","), "0,2,3", "prepend/append")
  msg:header("X-A", {"4", "5"}, "append")
  t:eq(table.concat(msg:header("X-A"), ","), "0,2,3,4,5", "table append")
  msg:header("X-A", {"x", "y"})
  t:eq(table.concat(msg:header("X-A"), ","), "x,y", "table replace")
  msg:header("X-Utf", "Grüße ✓")
  local raw = msg:raw()
  if not string.find(raw, "X-Utf: =?utf-8?q?", 1, true) then
    t:error("non-ASCII not RFC 2047 encoded: " .. raw)
  end
  t:eq(reparse(msg):header("X-Utf")[1], "Grüße ✓", "round trip")
  -- prepend puts the field at the very top of the header
  msg:header("X-Top", "t", "prepend")
  t:eq(string.sub(msg:raw(), 1, 9), "X-Top: t\r", "prepend at top")
  -- replace appends at the bottom of the header, the body stays intact
  local re = reparse(msg)
  t:eq(re:body(), "Hello world\r\nsecond line\r\n", "body intact")
  t:eq(msg:header("X-A", ""), true, "delete")
  t:eq(#msg:header("X-A"), 0, "deleted")
  t:eq(msg:header("X-A", ""), true, "delete missing")
  msg:header("X-N", 42)
  t:eq(msg:header("X-N")[1], "42", "number value")
  -- A value cannot smuggle in another field.
  msg:header("X-Evil", "a\r\nBcc: victim@example.com")
  t:eq(#reparse(msg):header("Bcc"), 0, "no header injection")
  t:raises(function() msg:header("X-A", "v", "sideways") end,
    "bad argument #3 to 'header' ('replace', 'prepend' or 'append' expected, got 'sideways')", "bad mode")
  t:raises(function() msg:header("Bad Name", "v") end, "bad argument #1 to 'header' (invalid header name", "bad name")
  t:raises(function() msg:header("X", true) end, "bad argument #2 to 'header' (string expected, got boolean)", "bool value")
end

function TestHeaderEmptyMessage(t)
  local msg = new()
  msg:header("Subject", "x")
  t:eq(msg:raw(), "Subject: x\r\n\r\n", "header on an empty message")
end

function TestBody(t)
  local msg = new(SIMPLE)
  t:eq(msg:body(), "Hello world\r\nsecond line\r\n", "get has no CRLF.CRLF")
  t:eq(msg:body("New body\r\n.\r\n"), "New body\r\n", "set drops the terminator")
  t:eq(msg:raw(), "From: a@example.com\r\nSubject: original\r\n\r\nNew body\r\n", "raw after set")
  t:eq(msg:body("no terminator"), "no terminator", "set without terminator")
  t:eq(msg:get_message_size(), #msg:raw(), "size follows")
end

function TestRaw(t)
  local msg = new()
  t:eq(msg:raw(), "", "empty raw")
  t:eq(msg:raw(SIMPLE), SIMPLE, "set returns raw")
  t:eq(msg:raw(), SIMPLE, "get raw")
  t:eq(msg:get_message_size(), #SIMPLE, "size")
  t:eq(msg:header("Subject")[1], "original", "parsed after set")
end

function TestText(t)
  local msg = new(MULTI)
  local texts = msg:text()
  t:eq(type(texts), "table", "several parts give a table")
  t:eq(texts[1], "Café crème", "QP latin-1 decoded")
  t:eq(texts[2], "<p>Café</p>", "base64 decoded")
  t:eq(#texts, 2, "attachment is not text")
  t:eq(new(SIMPLE):text(), "Hello world\r\nsecond line\r\n", "one part gives a string")
  t:eq(new("Content-Type: image/png\r\n\r\nxx"):text(), nil, "no text part gives nil")

  t:eq(msg:text("Grüße\nzwei", "text/plain", "iso-8859-1"), true, "set")
  local re = reparse(msg)
  t:eq(re:text(), "Grüße\r\nzwei", "set round trip")
  local ct = re:mime():content_type()
  t:eq(ct.mimetype, "text/plain", "set type")
  t:eq(ct.charset, "iso-8859-1", "set charset")
  t:eq(ct.encoding, "quoted-printable", "set encoding")
  t:eq(re:header("From")[1], "André <andre@example.com>", "other headers kept")
  local ok, err = msg:text("x", "not a type;;")
  t:eq(ok, nil, "bad type fails")
  if type(err) ~= "string" then t:error("no error text") end
end

function TestMatch(t)
  local msg = new(MULTI)
  local m = msg:body_match("Caf=(E9)")
  t:eq(m[0], "Caf=E9", "body_match sees transfer encoding")
  t:eq(m[1], "E9", "capture 1")
  t:eq(msg:body_match("nothing here"), false, "body_match no match")
  m = msg:raw_match("(?m)^Subject: (?P<enc>=\\?[^?]+)")
  if not m then
    t:fatal("raw_match found nothing")
  end
  t:eq(m.enc, "=?utf-8", "named capture")
  t:eq(msg:raw_match("zzz"), false, "raw_match no match")
  m = msg:text_match("Caf(é)")
  t:eq(m[1], "é", "text_match sees decoded UTF-8")
  t:eq(msg:text_match("<p>(.*)</p>")[1], "Café", "text_match second part")
  t:eq(msg:text_match("zzz"), false, "text_match no match")
  local ok, err = msg:body_match("(")
  t:eq(ok, nil, "bad pattern")
  if type(err) ~= "string" then t:error("bad pattern: no error text") end
end

function TestReplace(t)
  local msg = new(SIMPLE)
  t:eq(msg:body_replace("world", "there"), true, "body_replace")
  t:eq(msg:body(), "Hello there\r\nsecond line\r\n", "body replaced")
  t:eq(msg:body_replace("absent", "x"), false, "body_replace no match")
  t:eq(msg:raw_replace("(?m)^Subject: (\\w+)", "Subject: [tag] $1"), true, "raw_replace")
  t:eq(msg:header("Subject")[1], "[tag] original", "raw replaced")
  t:eq(msg:raw_replace("absent", "x"), false, "raw_replace no match")

  local mm = new(MULTI)
  t:eq(mm:text_replace("Café", "Thé"), true, "text_replace")
  local re = reparse(mm)
  local texts = re:text()
  t:eq(texts[1], "Thé crème", "latin-1 part")
  t:eq(texts[2], "<p>Thé</p>", "base64 part")
  local parts = re:mime().parts[1].parts
  t:eq(parts[1]:content_type().encoding, "quoted-printable", "QP kept")
  t:eq(parts[1]:content_type().charset, "iso-8859-1", "charset kept")
  t:eq(parts[2]:content_type().encoding, "base64", "base64 kept")
  t:eq(mm:text_replace("zzz", "x"), false, "text_replace no match")

  local seven = new("Subject: s\r\n\r\nplain ascii\r\n")
  seven:text_replace("ascii", "ünïcode")
  local ct = reparse(seven):mime():content_type()
  t:eq(ct.encoding, "quoted-printable", "7bit part became QP")
  t:eq(reparse(seven):text(), "plain ünïcode\r\n", "text after 7bit replace")
  local ok, err = msg:raw_replace("(", "x")
  t:eq(ok, nil, "bad pattern")
end

function TestBuild(t)
  local inner = new(SIMPLE)
  local msg = core.ec_message_new(nil)
  local ok = msg:build(
    {From = "a@example.com", To = "b@example.com", Subject = "Built"},
    {["text/plain"] = "plain ✓", ["text/html; charset=utf-8"] = "<b>html</b>"},
    {
      {type = "text/csv", name = "./data.csv", headers = "X-Extra: 1", content = "a,b\n1,2\n"},
      {content = inner},
    })
  t:eq(ok, true, "build")
  local re = reparse(msg)
  local root = re:mime()
  t:eq(root:content_type().mimetype, "multipart/mixed", "top")
  local parts = root.parts
  t:eq(#parts, 3, "alternative + 2 attachments")
  t:eq(parts[1]:content_type().mimetype, "multipart/alternative", "alternative")
  local alts = parts[1].parts
  t:eq(alts[1]:content_type().mimetype, "text/plain", "plain first")
  t:eq(alts[1]:content_type().encoding, "quoted-printable", "text without charset is QP")
  t:eq(alts[2]:content_type().encoding, "base64", "with charset is base64")
  t:eq(alts[1]:text(), "plain ✓", "plain text")
  t:eq(alts[2]:text(), "<b>html</b>", "html text")
  local csv = parts[2]:content_type()
  t:eq(csv.filename, "data.csv", "attachment name")
  t:eq(csv.is_attachment, true, "is attachment")
  t:eq(parts[2]:header("X-Extra")[1], "1", "attachment headers")
  t:eq(parts[3]:content_type().mimetype, "message/rfc822", "message attachment")
  t:eq(re:header("Subject")[1], "Built", "headers")
  local ok2, err = msg:build({}, {}, {})
  t:eq(ok2, nil, "build on a non-empty message")
  if not string.find(err, "empty message", 1, true) then t:error("error: " .. tostring(err)) end
  t:raises(function() new():build("x") end, "bad argument #1 to 'build' (table expected, got string)", "bad headers")
  t:raises(function() new():build({}, {}, {{content = true}}) end, "bad argument #3 to 'build'", "bad attachment")
  t:raises(function() new():build({"x"}) end, "bad argument #1 to 'build' (header names must be strings, got a number)", "array of headers")
  t:raises(function() new():build({}, {["text/plain"] = {}}) end, "bad argument #2 to 'build' (content of text/plain: string or ec_string expected", "table content")
  local body = core.string_new()
  body:set("from an ec_string")
  local m3 = new()
  t:eq(m3:build({}, {["text/plain"] = body}), true, "ec_string part")
  t:eq(reparse(m3):text(), "from an ec_string", "ec_string part text")
  ok2, err = new():build({}, {}, {{name = "a.txt", headers = "X-A: 1\r\n\r\nX-B: 2", content = "x"}})
  t:eq(ok2, nil, "blank line in attachment headers")
  ok2, err = new():build({}, {}, {{name = "a.txt", headers = "not a header", content = "x"}})
  t:eq(ok2, nil, "non-field line in attachment headers")
end

function TestDiscardAndCode(t)
  local msg = new(SIMPLE)
  t:eq(msg:code(), nil, "no code")
  msg:discard()
  t:eq(msg:code(), "550 5.7.0 discarded by policy", "default discard code")
  local after = "ran"
  t:eq(after, "ran", "execution continues after discard")
  msg:discard("spammy")
  t:eq(msg:code(), "550 5.7.1 [internal] discarded by policy", "reason without code")
  msg:discard("554 5.7.1 go away")
  t:eq(msg:code(), "554 5.7.1 go away", "reason with code")
  t:eq(msg:code("421", "Too much spam."), "421 Too much spam.", "set with number string")
  t:eq(msg:code(451, "line one\nline two"), "451-line one\r\n451 line two", "multi-line")
  t:eq(msg:code(0, "552 5.3.4 too big"), "552 5.3.4 too big", "number from text")
  t:eq(msg:code(), "552 5.3.4 too big", "get")
  t:raises(function() msg:code(42, "x") end, "bad argument #1 to 'code'", "bad number")
  t:raises(function() msg:code(0, "just text") end, "bad argument #2 to 'code' (text starting with an SMTP reply code", "0 without a code in the text")
  t:raises(function() msg:code(0) end, "bad argument #2 to 'code' (string expected, got no value)", "0 without text")
  t:eq(msg:code(), "552 5.3.4 too big", "code kept after refusals")
end

function TestBinding(t)
  local msg = new()
  t:eq(msg:binding(), "default", "default binding")
  t:eq(msg:binding("mybinding"), "mybinding", "set")
  t:eq(msg:binding(), "mybinding", "get")
  t:eq(msg:binding(""), nil, "empty name")
  t:eq(msg:binding(), "mybinding", "empty name changes nothing")
  t:raises(function() msg:binding({"a"}) end, "string expected, got table", "table")
  t:eq(msg:binding_group(), nil, "no group")
  t:eq(msg:binding_group("pool"), "pool", "set group")
  t:eq(msg:binding_group(), "pool", "get group")
  t:eq(msg:binding_group(""), nil, "empty group")
end

function TestListenerAndPeer(t)
  local msg = new()
  t:eq(msg:listener_addr(), nil, "no listener")
  t:eq(msg:reception_peer("ip"), nil, "no peer")
  msg:context_set(core.ECMESS_CTX_CONN, "msyshost:listener_addr", "10.1.2.3:25")
  msg:context_set(core.ECMESS_CTX_CONN, "msyshost:reception_peer", "[2001:db8::1]:40000")
  t:eq(msg:listener_addr(), "10.1.2.3:25", "all by default")
  t:eq(msg:listener_addr("all"), "10.1.2.3:25", "all")
  t:eq(msg:listener_addr("ip"), "10.1.2.3", "ip")
  t:eq(msg:listener_addr("port"), "25", "port")
  t:eq(msg:reception_peer("ip"), "2001:db8::1", "v6 ip")
  t:eq(msg:reception_peer("port"), "40000", "v6 port")
  t:raises(function() msg:listener_addr("mac") end, "bad argument #1 to 'listener_addr'", "bad flag")
end

function TestAddressHeader(t)
  local msg = new(MULTI)
  t:eq(table.concat(msg:address_header("To"), ","), "bob+news@Example.COM,carol@example.org", "all")
  t:eq(table.concat(msg:address_header("To", "localpart"), ","), "bob+news,carol", "localpart")
  t:eq(table.concat(msg:address_header("To", "user"), ","), "bob,carol", "user")
  t:eq(table.concat(msg:address_header("To", "detail"), ","), "news,", "detail")
  t:eq(table.concat(msg:address_header("To", "domain"), ","), "Example.COM,example.org", "domain")
  t:eq(msg:address_header("From", "domain")[1], "example.com", "encoded display name")
  t:eq(#msg:address_header("Cc"), 0, "missing header")
  t:raises(function() msg:address_header("To", "nope") end, "bad argument #2 to 'address_header'", "bad component")
end

function TestMimeWalk(t)
  local msg = new(MULTI)
  local types = {}
  local p = msg:mime()
  while p ~= nil do
    types[#types + 1] = p:content_type().mimetype
    p = p.thread
  end
  t:eq(table.concat(types, " "),
    "multipart/mixed multipart/alternative text/plain text/html application/octet-stream", "thread walk")
  local root = msg:mime()
  t:eq(msys.type(root), "msys.core:_ec_mime_part", "msys.type")
  t:eq(#root.parts, 2, "parts")
  t:eq(root.parts[1].parts[1].parts, nil, "leaf has no parts")
  t:eq(root.parts[1].parent == root, true, "parent")
  t:eq(root.parent, nil, "root has no parent")
  local att = root.parts[2]
  local ct = att:content_type()
  t:eq(ct.filename, "report.bin", "disposition filename wins over name")
  t:eq(ct.is_attachment, true, "is_attachment")
  t:eq(ct.encoding, "base64", "encoding")
  t:eq(ct.charset, nil, "no charset")
  t:eq(att:text(), nil, "text of a non-text part")
  local plain = root.parts[1].parts[1]
  t:eq(plain:text(), "Café crème", "part text")
  t:eq(plain:content_type().charset, "iso-8859-1", "charset")
  t:eq(plain:header("Content-Transfer-Encoding")[1], "quoted-printable", "part header get")
  t:eq(plain.body_start > 0 and plain.body_end > plain.body_start, true, "offsets")
  t:eq(string.sub(plain:address_header("X-None")[1] or "none", 1, 4), "none", "part address_header")
end

function TestMimeReadOnly(t)
  local msg = new(MULTI)
  local root = msg:mime()
  local plain = root.parts[1].parts[1]
  t:raises(function() plain:header("X", "y") end, "read-only", "header on read-only")
  t:raises(function() plain:unlink() end, "read-only", "unlink on read-only")
  t:raises(function() plain:text("x") end, "read-only", "text on read-only")
  t:raises(function() root:addLastChild(msg:makePart("text/plain", "x")) end, "read-only", "add on read-only")
  t:raises(function() plain:body_replace("a", "b") end, "read-only", "replace on read-only")
  t:eq(msg:raw(), MULTI, "nothing changed")
  -- Reads are fine.
  t:eq(plain:body_match("Caf")[0], "Caf", "match on read-only")
end

function TestMimeEdit(t)
  local msg = new(MULTI)
  local root = msg:mime(false)
  local alt = root.parts[1]
  local plain, html = alt.parts[1], alt.parts[2]

  local extra = msg:makePart("text/plain; charset=utf-8", "Disclaimer ✓", core.EC_MIME_TE_BASE64)
  extra.body_start = 0
  extra.body_end = #"Disclaimer ✓"
  t:eq(plain:addLastChild(extra), false, "a leaf is not a container")
  t:eq(root:addLastChild(extra), true, "addLastChild")
  t:eq(root:addFirstChild(msg:makePart("text/plain", "first")), true, "addFirstChild")
  t:eq(msg:makePart("text/plain", "before html", core.EC_MIME_TE_QUOTED_PRINTABLE):insertBefore(html), true, "insertBefore")
  t:eq(msg:makePart("text/plain", "after plain", core.EC_MIME_TE_8BIT):insertAfter(plain), true, "insertAfter")
  t:eq(msg:makePart("text/plain", "x"):insertAfter(root), false, "insert next to the root")
  t:eq(root:addLastChild(root), false, "cycle")

  local texts = reparse(msg):text()
  t:eq(table.concat(texts, "|"), "first|Café crème|after plain|before html|<p>Café</p>|Disclaimer ✓", "after inserts")

  plain:header("X-Part", "p")
  plain:header("X-Part", "q", "append")
  t:eq(table.concat(reparse(msg):mime().parts[2].parts[1]:header("X-Part"), ","), "p,q", "part header set")
  plain:header("X-Part", nil)
  t:eq(#reparse(msg):mime().parts[2].parts[1]:header("X-Part"), 0, "part header unset with nil")

  t:eq(html:text("<i>new</i>", "text/html"), true, "part text set")
  t:eq(reparse(msg):mime().parts[2].parts[4]:text(), "<i>new</i>", "part text round trip")

  t:eq(alt:unlink(), true, "unlink")
  t:eq(alt:unlink(), false, "unlink twice")
  t:eq(table.concat(reparse(msg):text(), "|"), "first|Disclaimer ✓", "after unlink")

  local c = msg:makeContainer("multipart/alternative")
  t:eq(c.parts ~= nil and #c.parts, 0, "empty container")
  c:addLastChild(msg:makePart("text/plain", "one"))
  root:addLastChild(c)
  t:eq(table.concat(reparse(msg):text(), "|"), "first|Disclaimer ✓|one", "new container")
  -- The attachment went through every edit byte for byte.
  t:eq(reparse(msg):mime().parts[2]:body_match("AAECAw==")[0], "AAECAw==", "attachment intact")

  local ok, err = msg:makeContainer("text/plain")
  t:eq(ok, nil, "container must be multipart")
  local term = msg:makeContainer("multipart/mixed", "bnd", true)
  t:eq(term:raw_match("--bnd--\\r\\n\\.\\r\\n") ~= false, true, "add_terminator")
  t:raises(function() msg:makePart("text/plain", "x", 99) end, "bad argument #3 to 'makePart'", "bad encoding")
  t:eq(msg:makePart("text/plain", core.string_new()):text(), "", "ec_string body")
end

function TestMimePartMatchReplace(t)
  local msg = new(MULTI)
  local root = msg:mime(false)
  local plain = root.parts[1].parts[1]
  t:eq(plain:raw_match("charset=(\\S+)")[1], "iso-8859-1", "part raw_match")
  t:eq(plain:body_match("cr=E8me")[0], "cr=E8me", "part body_match")
  t:eq(plain:text_match("crème")[0], "crème", "part text_match")
  t:eq(root:text_match("<p>([^<]+)")[1], "Café", "container text_match")
  t:eq(plain:text_match("zzz"), false, "part text_match none")
  t:eq(plain:body_match("zzz"), false, "part body_match none")
  t:eq(plain:raw_match("zzz"), false, "part raw_match none")

  t:eq(plain:text_replace("crème", "brûlée"), true, "part text_replace")
  t:eq(reparse(msg):text()[1], "Café brûlée", "text replaced in latin-1")
  t:eq(plain:body_replace("Caf=E9", "Tea"), true, "part body_replace")
  t:eq(reparse(msg):text()[1], "Tea brûlée", "body replaced")
  t:eq(plain:raw_replace("iso-8859-1", "ISO-8859-1"), true, "part raw_replace")
  t:eq(reparse(msg):mime().parts[1].parts[1]:content_type().charset, "ISO-8859-1", "raw replaced")
  t:eq(plain:raw_replace("zzz", "x"), false, "part raw_replace none")
  t:eq(root:text_replace("<p>", "<div>"), true, "container text_replace")
  t:eq(reparse(msg):text()[2], "<div>Café</p>", "container text replaced")
  t:eq(root:body_replace("AAECAw==", "AQID"), true, "container body_replace")
  t:eq(#reparse(msg):mime().parts, 2, "structure kept after container body_replace")
end

function TestMakeBoundary(t)
  local msg = new(MULTI)
  local b = msg:makeBoundary()
  t:eq(type(b), "string", "boundary")
  t:eq(string.find(msg:raw(), b, 1, true), nil, "not in the message")
  local part = msg:makePart("text/plain", "x")
  local b2 = msg:makeBoundary(part, new(SIMPLE), "some text")
  if b2 == b then t:error("boundaries repeat") end
  t:raises(function() msg:makeBoundary({}) end, "bad argument #1 to 'makeBoundary'", "bad argument")
end

-- The disclaimer idiom of Momentum's msgpart:addLastChild page: on a
-- single-part message the text ends with the end-of-data line.
function TestTextReplaceEndOfData(t)
  local msg = new(SIMPLE)
  t:eq(msg:text_replace("\r\n.\r\n", "\r\nDisclaimer\r\n.\r\n"), true, "matched the end")
  t:eq(reparse(msg):text(), "Hello world\r\nsecond line\r\nDisclaimer\r\n", "appended")
  t:eq(msg:text_replace("line\r\n", "LINE\r\n"), true, "ordinary replace")
  t:eq(reparse(msg):text(), "Hello world\r\nsecond LINE\r\nDisclaimer\r\n", "no terminator left behind")
end

function TestBuildIoObject(t)
  local dir = os.getenv("MSYSHOST_TEST_DIR")
  if not dir then
    t:skip("MSYSHOST_TEST_DIR not set (run from the Go test)")
  end
  local path = dir .. "/blob.bin"
  local w = core.io_wrapper_open(path, core.O_CREAT + core.O_WRONLY, 600)
  w:write("\0\1\2\250")
  w:close()
  local r = core.io_wrapper_open(path, core.O_RDONLY, 0)
  local msg = core.ec_message_new(nil)
  t:eq(msg:build({Subject = "io"}, {["text/plain"] = "see attached"},
    {{type = "application/octet-stream", name = "blob.bin", content = r}}), true, "build")
  local att = reparse(msg):mime().parts[2]
  t:eq(att:content_type().encoding, "base64", "io_object is base64")
  t:eq(att:body_match("AAEC\\+g==")[0], "AAEC+g==", "content")
  local s = core.string_new()
  s:set("ec_string content")
  local m2 = core.ec_message_new(nil)
  m2:build({}, {}, {{type = "text/plain", name = "s.txt", content = s}})
  t:eq(reparse(m2):mime().parts[2]:content_type().encoding, "quoted-printable", "ec_string is QP")
end

local DETACHED = "MIME part is detached from its message"

-- Replacing the whole message detaches parts taken before: editing them
-- is refused with nil and an error.
function TestMimeDetachedByRaw(t)
  local msg = new(MULTI)
  local oldroot = msg:mime(false)
  local old = oldroot.parts[1]
  msg:raw(SIMPLE)
  local ok, err = old:header("X-Old", "1")
  t:eq(ok, nil, "edit of a detached part")
  t:eq(err, DETACHED, "its error")
  for what, f in pairs({
    text = function() return old:text("x") end,
    unlink = function() return old:unlink() end,
    body_replace = function() return old:body_replace("a", "b") end,
    raw_replace = function() return old:raw_replace("a", "b") end,
    text_replace = function() return old:text_replace("a", "b") end,
    addLastChild = function() return oldroot:addLastChild(msg:makePart("text/plain", "x")) end,
    adopt_detached = function() return msg:makeContainer("multipart/mixed"):addLastChild(old) end,
  }) do
    local ok, err = f()
    t:eq(ok, nil, what .. " on a detached part")
    t:eq(err, DETACHED, what .. " error")
  end
  t:eq(old:header("Content-Type")[1], "multipart/alternative; boundary=inner", "reads still work")
  t:eq(msg:raw(), SIMPLE, "message unchanged")
  -- A fresh tree sees the new content.
  t:eq(msg:mime():content_type().mimetype, "text/plain", "new tree")
  -- Edits through the root survive a body replacement of the root.
  local root = msg:mime(false)
  msg:body_replace("world", "there")
  root:header("X-Root", "r")
  t:eq(reparse(msg):header("X-Root")[1], "r", "root still attached after body_replace")
  t:eq(reparse(msg):body(), "Hello there\r\nsecond line\r\n", "body kept")
end

-- Re-parsing a container (body_replace, raw_replace, text) detaches its
-- old children: inserting next to one, or editing it, is refused.
function TestMimeStaleChildren(t)
  for _, edit in ipairs({
    function(root) return root:body_replace("Caf", "Tea") end,
    function(root) return root:raw_replace("Caf", "Tea") end,
    function(root) return root:text("flat") end,
  }) do
    local msg = new(MULTI)
    local root = msg:mime(false)
    local alt = root.parts[1]
    t:eq(edit(root), true, "edit of the container")
    local raw = msg:raw()
    local ok, err = msg:makePart("text/plain", "x"):insertBefore(alt)
    t:eq(ok, nil, "insertBefore a stale child")
    t:eq(err, DETACHED, "insertBefore error")
    ok, err = msg:makePart("text/plain", "x"):insertAfter(alt)
    t:eq(ok, nil, "insertAfter a stale child")
    ok, err = alt:header("X-Lost", "1")
    t:eq(err, DETACHED, "header on a stale child")
    ok, err = alt:unlink()
    t:eq(err, DETACHED, "unlink of a stale child")
    t:eq(msg:raw(), raw, "message unchanged")
  end
end

-- A part made by another message, once added, belongs to this message:
-- later edits reach its raw form.
function TestMimeAdoptedPartEdits(t)
  local msg, other = new(MULTI), core.ec_message_new(nil)
  local root = msg:mime(false)
  local p = other:makePart("text/plain", "two\r\n")
  t:eq(root:addLastChild(p), true, "add a part made by another message")
  local _ = msg:raw()
  t:eq(p:header("X-Late", "1"), true, "edit after a serialisation")
  t:eq(reparse(msg):mime().parts[3]:header("X-Late")[1], "1", "edit reached the message")
  t:eq(p:text("changed"), true, "text after a serialisation")
  t:eq(reparse(msg):mime().parts[3]:text(), "changed", "text reached the message")

  -- The top of a message cannot become a child, its own or another's.
  local m3 = new(SIMPLE)
  t:eq(root:addLastChild(m3:mime(false)), false, "another message's root")
  local c = msg:makeContainer("multipart/mixed")
  t:eq(c:addLastChild(root), false, "own root into a new container")
  msg:header("X-After", "yes")
  t:eq(reparse(msg):header("X-After")[1], "yes", "header edits still reach the message")
  t:eq(m3:raw(), SIMPLE, "the other message unchanged")
end

-- makeContainer takes only RFC 2046 boundaries, and a container whose
-- boundary would end (or be ended by) an enclosing one is refused.
function TestMimeBoundaries(t)
  local msg = new(MULTI)
  for _, b in ipairs({"a\"b", "a\r\nX: 1", string.rep("b", 71), "trailing ", "tab\t"}) do
    t:raises(function() msg:makeContainer("multipart/mixed", b) end,
      "bad argument #2 to 'makeContainer'", "boundary " .. string.format("%q", b))
  end
  t:eq(msg:makeContainer("multipart/mixed", string.rep("b", 70)) ~= nil, true, "70 characters")
  t:eq(msg:makeContainer("multipart/mixed", "with space'()+_,-./:=?") ~= nil, true, "every bchar")
  local root = msg:mime(false)
  for _, b in ipairs({"outer", "inner", "outer--", "inn"}) do
    local c = msg:makeContainer("multipart/mixed", b)
    c:addLastChild(msg:makePart("text/plain", "x"))
    local want = b ~= "inn"
    t:eq(root.parts[1]:addLastChild(c), not want, "boundary " .. b)
  end
  local clashing = msg:makeContainer("multipart/mixed", "x")
  clashing:addLastChild(msg:makeContainer("multipart/mixed", "outer"))
  t:eq(root:addLastChild(clashing), false, "clash deeper in the added tree")
  t:eq(#reparse(msg):mime().parts[1].parts, 3, "the tree still parses")
end

-- A part added to a multipart whose preamble has no final line break
-- starts on a line of its own.
function TestMimePreambleWithoutLineBreak(t)
  local msg = new("Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble")
  t:eq(msg:mime(false):addLastChild(msg:makePart("text/plain", "x")), true, "add")
  local again = reparse(msg)
  t:eq(#again:mime().parts, 1, "the part is there")
  t:eq(again:text(), "x", "its text")
end

-- msgpart:text_match on a container searches what msg:text_match does:
-- text parts, not text attachments.
function TestTextMatchAgrees(t)
  local msg = new("MIME-Version: 1.0\r\n" ..
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n" ..
    "--b\r\nContent-Type: text/plain\r\n\r\nbody text\r\n" ..
    "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nattached text\r\n" ..
    "--b--\r\n")
  local root = msg:mime(false)
  t:eq(msg:text_match("attached"), false, "msg:text_match skips attachments")
  t:eq(root:text_match("attached"), false, "root:text_match skips them too")
  t:eq(root:text_match("body")[0], "body", "root:text_match finds text")
  t:eq(root.parts[2]:text_match("attached")[0], "attached", "the attachment itself, picked explicitly")
  t:eq(root:text_replace("attached", "x"), false, "root:text_replace skips attachments")
  t:eq(root.parts[2]:text_replace("attached", "x"), true, "the attachment itself")
end
