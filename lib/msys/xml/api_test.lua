-- xml as scripts see it: libxml2's tree, its formatted output, XPath.

local function names(iter)
  local out = {}
  for n in iter do out[#out + 1] = n:name() end
  return table.concat(out, ",")
end

function TestRequire(t)
  if require("xml") ~= xml then t:error("require('xml') must return the xml table") end
end

function TestBuildAndPrint(t)
  local doc = xml.parsexml("<list></list>")
  local root = doc:root()
  t:eq(root:name(), "list", "root name")
  local entry = root:addchild("entry")
  entry:attr("id", "e1")
  entry:contents("first & <only>")
  root:addchild("empty")
  t:eq(tostring(doc), '<?xml version="1.0" encoding="utf8"?>\n<list>\n  <entry id="e1">first &amp; &lt;only&gt;</entry>\n  <empty/>\n</list>\n', "document text")
  t:eq(doc:tostring(), tostring(doc), "doc:tostring and tostring(doc)")
  t:eq(root:tostring(), '<list>\n  <entry id="e1">first &amp; &lt;only&gt;</entry>\n  <empty/>\n</list>', "node text")
  t:eq(tostring(entry), '<entry id="e1">first &amp; &lt;only&gt;</entry>', "tostring(node)")
  t:eq(entry:contents(), "first & <only>", "contents reads the text")
  t:eq(names(entry:children()), "text", "a text child is named 'text'")
  t:eq(names(root:children()), "entry,empty", "children in order")
  if entry:doc() ~= doc then t:error("node:doc() must be the node's document") end
  if msys.type(doc) ~= "xml.doc" or msys.type(root) ~= "xml.node" then t:error("class names") end
end

function TestParseAndNavigate(t)
  local doc, err = xml.parsexml([==[<?xml version="1.0"?>
<!-- orders -->
<orders xmlns:x="urn:x" region="eu">
  <order id="1" x:rank="a"><sku>A-1</sku><qty>2</qty></order>
  <order id="2"><sku>B-7</sku><qty>10</qty><note>rush &amp; <![CDATA[<fragile>]]></note></order>
</orders>]==])
  if not doc then t:fatal("parse: " .. tostring(err)) end
  local root = doc:root()
  t:eq(root:attr("region"), "eu", "attribute")
  t:eq(root:attribute("missing"), nil, "missing attribute")
  t:eq(names(root:children()), "order,order", "blank text between elements is dropped")
  local n = 0
  for order in doc:xpath("//order") do n = n + 1 end
  t:eq(n, 2, "//order")
  for sku in doc:xpath("/orders/order[@id='2']/sku") do t:eq(sku:contents(), "B-7", "predicate") end
  for note in doc:xpath("//note") do t:eq(note:contents(), "rush & <fragile>", "entities and CDATA read as text") end
  for a in doc:xpath("//order/@x:rank") do
    t:eq(a:name(), "x:rank", "attribute node name")
    t:eq(a:contents(), "a", "attribute node value")
  end
  -- The context node, plain or in a table.
  local second
  for o in doc:xpath("//order[2]") do second = o end
  t:eq(names(doc:xpath("*", second)), "sku,qty,note", "relative to a context node")
  t:eq(names(doc:xpath("*", { second })), "sku,qty,note", "context node in a table")
  -- Scalar results come out once.
  for v in doc:xpath("sum(//qty)") do t:eq(v, 12, "sum()") end
  for v in doc:xpath("count(//order) = 2") do t:eq(v, true, "boolean") end
  for v in doc:xpath("string(//sku)") do t:eq(v, "A-1", "string()") end
  local ok, xerr = pcall(doc.xpath, doc, "//order[")
  if ok or not string.find(xerr, "xpath", 1, true) then t:error("bad xpath: " .. tostring(xerr)) end
  -- A comment outside the root stays in the document.
  if not string.find(tostring(doc), "<!-- orders -->\n<orders", 1, true) then t:error("top-level comment lost:\n" .. tostring(doc)) end
end

function TestKeepBlanks(t)
  local src = "<a>\n  <b> </b>\n  <c>x <d/> </c>\n</a>"
  local doc = xml.parsexml(src)
  t:eq(names(doc:root():children()), "b,c", "blanks dropped by default")
  t:eq(doc:xpath("//b")():contents(), " ", "a blank that is an element's only content stays")
  t:eq(names(doc:xpath("//c")():children()), "text,d,text", "mixed content keeps its blanks")
  local kept = xml.parsexml(src, 1)
  t:eq(names(kept:root():children()), "text,b,text,c,text", "keep_blanks 1 keeps them")
  t:eq(tostring(kept:root()), src, "with blanks kept the text comes back as it was")
  t:eq(names(xml.parsexml('<a xml:space="preserve"> <b/> </a>'):root():children()), "text,b,text", "xml:space preserve")
end

function TestEditing(t)
  local doc = xml.parsexml("<r><a k='1'/><b/></r>")
  local root = doc:root()
  local a = doc:xpath("//a")()
  a:attr("k", 2)
  t:eq(a:attr("k"), "2", "numbers are set as strings")
  a:attr("k", nil)
  t:eq(a:attr("k"), nil, "nil removes the attribute")
  a:attr("flag", true)
  t:eq(tostring(a), '<a flag="true"/>', "booleans as words")
  -- Moving a node: addchild of an existing node unlinks it first.
  local b = doc:xpath("//b")()
  local moved = b:addchild(a)
  if moved ~= a then t:error("addchild returns the added node") end
  t:eq(tostring(root), '<r>\n  <b>\n    <a flag="true"/>\n  </b>\n</r>', "moved under b")
  local ok, err = pcall(a.addchild, a, b)
  if ok or not string.find(err, "inside itself", 1, true) then t:error("cycle: " .. tostring(err)) end
  -- unlink detaches and returns the node, which lives on.
  local gone = b:unlink()
  if gone ~= b then t:error("unlink returns the node") end
  t:eq(tostring(root), "<r/>", "after unlink")
  t:eq(tostring(gone), '<b>\n  <a flag="true"/>\n</b>', "the unlinked node keeps its subtree")
  -- Into another document.
  local other = xml.parsexml("<other/>")
  other:root():addchild(gone)
  if gone:doc() ~= other then t:error("a node added to another document belongs to it") end
  -- contents() replaces the children; "" removes them.
  local r2 = other:root()
  r2:contents("just text")
  t:eq(tostring(r2), "<other>just text</other>", "contents replaces children")
  r2:contents("")
  t:eq(tostring(r2), "<other/>", "contents('') removes the text")
  -- An attribute node can be changed and unlinked.
  local d3 = xml.parsexml('<x a="1" b="2"/>')
  local attr = d3:xpath("//@a")()
  attr:contents("9")
  t:eq(d3:root():attr("a"), "9", "attribute node contents sets the value")
  attr:unlink()
  t:eq(tostring(d3:root()), '<x b="2"/>', "unlinking an attribute node removes it")
end

function TestArgumentChecks(t)
  local doc = xml.parsexml("<r/>")
  local root = doc:root()
  local ok, err = pcall(root.addchild, root, "not a name")
  if ok or not string.find(err, "bad argument #2 to '?' (invalid element name 'not a name')", 1, true) then
    t:error("bad element name: " .. tostring(err))
  end
  ok, err = pcall(root.addchild, root, 42)
  if ok or not string.find(err, "bad argument #2 to '?' (XML node expected, got number)", 1, true) then
    t:error("addchild(42): " .. tostring(err))
  end
  ok, err = pcall(doc.xpath, doc)
  if ok or not string.find(err, "bad argument #2 to '?' (string expected, got no value)", 1, true) then
    t:error("xpath(): " .. tostring(err))
  end
  ok, err = pcall(xml.parsexml)
  if ok or not string.find(err, "bad argument #1 to '?' (string expected, got no value)", 1, true) then
    t:error("parsexml(): " .. tostring(err))
  end
end

function TestParseErrors(t)
  local cases = {
    { "<a><b></a>", "line 1: element <b> closed by </a>" },
    { "<a>", "premature end of data in element <a>" },
    { "", "document is empty" },
    { "<a/><b/>", "extra content at the end of the document" },
    { "text", "line 1" },
    { "<a>&nope;</a>", "line 1" },
    { "<a\n\nb='1' b='2'/>", "line 3" },
  }
  for _, c in ipairs(cases) do
    local doc, err = xml.parsexml(c[1])
    if doc ~= nil then t:error(string.format("%q parsed", c[1]))
    elseif not string.find(tostring(err), c[2], 1, true) then
      t:error(string.format("%q: %s does not say %q", c[1], tostring(err), c[2]))
    end
  end
end

function TestBounds(t)
  -- Nesting: 256 levels parse, 257 do not.
  local ok = xml.parsexml(string.rep("<a>", 256) .. string.rep("</a>", 256))
  if not ok then t:error("256 levels must parse") end
  local doc, err = xml.parsexml(string.rep("<a>", 257) .. string.rep("</a>", 257))
  if doc or not string.find(err, "nest deeper than 256", 1, true) then t:error("257 levels: " .. tostring(err)) end
  -- Declared entities expand, within bounds.
  doc, err = xml.parsexml('<!DOCTYPE r [<!ENTITY co "ACME &amp; Sons"><!ENTITY full "&co; Ltd&#46;">]><r a="&co;">&full;</r>')
  if not doc then t:fatal("entities: " .. tostring(err)) end
  t:eq(doc:root():contents(), "ACME & Sons Ltd.", "nested entity and character reference")
  t:eq(doc:root():attr("a"), "ACME & Sons", "entity in an attribute")
  if not string.find(tostring(doc), "<!DOCTYPE r [", 1, true) then t:error("the DOCTYPE is written back") end
  -- A billion laughs fails instead of expanding.
  local bomb = { '<!DOCTYPE lolz [<!ENTITY lol0 "lollollollollollollollollollol">' }
  for i = 1, 9 do bomb[#bomb + 1] = string.format('<!ENTITY lol%d "%s">', i, string.rep("&lol" .. (i - 1) .. ";", 10)) end
  bomb[#bomb + 1] = "]><lolz>&lol9;</lolz>"
  doc, err = xml.parsexml(table.concat(bomb))
  if doc or not string.find(err, "entity expansion exceeds its limit", 1, true) then t:error("billion laughs: " .. tostring(err)) end
  doc, err = xml.parsexml('<!DOCTYPE r [<!ENTITY a "&b;"><!ENTITY b "&a;">]><r>&a;</r>')
  if doc or not string.find(err, "refers to itself", 1, true) then t:error("entity loop: " .. tostring(err)) end
  doc, err = xml.parsexml('<!DOCTYPE r [<!ENTITY ext SYSTEM "file:///etc/passwd">]><r>&ext;</r>')
  if doc or not string.find(err, "external entity &ext; is not loaded", 1, true) then t:error("external entity: " .. tostring(err)) end
end

function TestEncodings(t)
  local doc, err = xml.parsexml('<?xml version="1.0" encoding="ISO-8859-1"?><r>caf\233</r>')
  if not doc then t:fatal("latin-1: " .. tostring(err)) end
  t:eq(doc:root():contents(), "caf\195\169", "latin-1 text comes out as UTF-8")
  doc, err = xml.parsexml('<?xml version="1.0" encoding="EBCDIC"?><r/>')
  if doc or not string.find(err, "unsupported encoding", 1, true) then t:error("unknown encoding: " .. tostring(err)) end
end
