-- json as scripts see it: json-c's model and text form.

function TestRequireReturnsTheModule(t)
  if require("json") ~= json then t:error("require('json') must return the json table") end
end

function TestDecodeReadsFields(t)
  local doc, code, err = json.decode([[{"order": "A-17", "qty": 3, "price": 2.25, "gift": false,
    "note": null, "lines": [ {"sku": "x1"}, {"sku": "x2"} ], "tags": ["a", "b", "c"]}]])
  if not doc then t:fatal("decode failed: " .. tostring(code) .. " " .. tostring(err)) end
  t:eq(doc.order, "A-17", "string field")
  t:eq(doc.qty, 3, "integer field")
  t:eq(doc.price, 2.25, "double field")
  t:eq(doc.gift, false, "boolean field")
  t:eq(doc.note, nil, "null reads as nil")
  t:eq(doc.missing, nil, "missing key")
  t:eq(#doc.tags, 3, "array length")
  t:eq(doc.tags[1], "a", "arrays are 1-based")
  t:eq(doc.tags[3], "c", "last element")
  t:eq(doc.tags[0], nil, "index 0 is outside a 1-based array")
  t:eq(doc.tags[4], nil, "past the end")
  t:eq(doc.lines[2].sku, "x2", "nested object in array")
  t:eq(msys.type(doc), "json.object", "msys.type of a JSON value")
  t:eq(type(doc), "userdata", "type of a JSON value")
end

function TestTextFormIsJsonC(t)
  local obj = json.decode([[{ "hello": "world" }]])
  obj.int = 4
  obj.num = 3.5
  t:eq(tostring(obj), [[{ "hello": "world", "int": 4, "num": 3.500000 }]], "object text")
  t:eq(tostring(json.new()), "{ }", "empty object")
  t:eq(tostring(json.encode({})), "{ }", "an empty table is an object")
  t:eq(tostring(json.encode({7, 8, 9})), "[ 7, 8, 9 ]", "array text")
  t:eq(tostring(json.decode("[]")), "[ ]", "empty array")
  t:eq(tostring(json.encode("a/b \"q\" \\ \n\t\1")), [["a\/b \"q\" \\ \n\t\u0001"]], "string escapes")
  t:eq(tostring(json.encode(42)), "42", "a scalar encodes alone")
  t:eq(tostring(json.decode("1.0")), "1.000000", "a decoded double stays a double")
  t:eq(tostring(json.encode(-0.125)), "-0.125000", "negative double")
  t:eq(tostring(json.decode("true")), "true", "top-level boolean")
end

function TestKeyOrderIsInsertionOrder(t)
  local obj = json.new()
  obj.zeta = 1
  obj.alpha = 2
  obj.mid = 3
  obj.zeta = 10 -- replacing keeps the place
  t:eq(tostring(obj), [[{ "zeta": 10, "alpha": 2, "mid": 3 }]], "order")
  obj.alpha = nil
  t:eq(tostring(obj), [[{ "zeta": 10, "mid": 3 }]], "assigning nil removes the key")
  t:eq(#obj, 2, "#obj counts keys")
end

function TestEncodeTableRules(t)
  -- t[1] set: an array of the contiguous run from 1; the rest is ignored.
  local arr = json.encode({ "a", "b", nil, "d", x = 1 })
  t:eq(tostring(arr), '[ "a", "b" ]', "array stops at the first nil")
  -- No t[1]: an object, numeric keys as strings.
  local obj = json.encode({ [2] = "two", name = "n" })
  t:eq(obj["2"], "two", "numeric key becomes a string key")
  t:eq(obj[2], "two", "reading with a number converts it too")
  t:eq(obj.name, "n", "string key")
  -- Nested tables.
  local nested = json.encode({ list = { 1, 2 }, sub = { k = true } })
  t:eq(nested.list[2], 2, "nested array")
  t:eq(nested.sub.k, true, "nested object")
  t:eq(tostring(json.encode({ [1.5] = "x" })), [[{ "1.5": "x" }]], "non-integer key")
end

function TestAssignmentRules(t)
  local doc = json.new()
  doc.arr = json.encode({ 0, 1, 3 })
  doc.tbl = { 5, 6 }
  doc.obj = { a = "b" }
  t:eq(doc.arr[3], 3, "an encoded array assigned")
  t:eq(doc.tbl[2], 6, "a table is converted on assignment")
  t:eq(doc.obj.a, "b", "object table")
  -- JSON values are shared by reference.
  local shared = json.new()
  doc.ref = shared
  shared.later = "seen"
  t:eq(doc.ref.later, "seen", "assignment of a JSON value stores a reference")
  if doc.ref ~= shared then t:error("two handles of one object must compare equal") end
  if doc.ref == doc.obj then t:error("different objects must not compare equal") end
  -- A table is copied: changing it afterwards does not change the JSON.
  local tbl = { 1, 2 }
  doc.copy = tbl
  tbl[1] = 99
  t:eq(doc.copy[1], 1, "tables are copied")
end

function TestArrayAssignment(t)
  local arr = json.decode("[1, 2]")
  arr[3] = "three"
  t:eq(#arr, 3, "appending at #arr+1")
  arr[5] = true
  t:eq(tostring(arr), '[ 1, 2, "three", null, true ]', "a gap is filled with null")
  arr[1] = nil
  t:eq(tostring(arr), '[ null, 2, "three", null, true ]', "nil stores null in an array")
  local ok, err = pcall(function() arr.name = 1 end)
  if ok or not string.find(err, "integer keys", 1, true) then t:error("string key on array: " .. tostring(err)) end
  ok, err = pcall(function() arr[0] = 1 end)
  if ok then t:error("index 0 must be refused") end
  ok, err = pcall(function() arr[1e9] = 1 end)
  if ok or not string.find(err, "too far", 1, true) then t:error("huge index: " .. tostring(err)) end
end

function TestUnencodableValuesRaise(t)
  local ok, err = pcall(json.encode, function() end)
  if ok or not string.find(err, "function", 1, true) then t:error("function: " .. tostring(err)) end
  ok, err = pcall(json.encode, { f = print })
  if ok then t:error("a function inside a table must raise") end
  ok, err = pcall(json.encode, { coroutine.create(function() end) })
  if ok then t:error("a thread must raise") end
  local obj = json.new()
  ok, err = pcall(function() obj.x = msys.core.string_new() end)
  if ok or not string.find(err, "userdata", 1, true) then t:error("userdata: " .. tostring(err)) end
  local loop = {}
  loop.self = loop
  ok, err = pcall(json.encode, loop)
  if ok or not string.find(err, "contains itself", 1, true) then t:error("cycle: " .. tostring(err)) end
  -- A JSON object made to contain itself cannot be printed, but does not hang.
  local o = json.new()
  o.me = o
  ok, err = pcall(tostring, o)
  if ok or not string.find(err, "nests too deeply", 1, true) then t:error("self-reference: " .. tostring(err)) end
end

function TestDecodeErrors(t)
  local cases = {
    { "",                 json.ERROR_PARSE_EOF },
    { "{\"a\": 1",        json.ERROR_PARSE_EOF },
    { "@",                json.ERROR_PARSE_UNEXPECTED },
    { "nul!",             json.ERROR_PARSE_NULL },
    { "tru",              json.ERROR_PARSE_EOF },
    { "trux",             json.ERROR_PARSE_BOOLEAN },
    { "-",                json.ERROR_PARSE_NUMBER },
    { "[1 2]",            json.ERROR_PARSE_ARRAY },
    { "{a: 1}",           json.ERROR_PARSE_OBJECT_KEY_NAME },
    { "{\"a\" 1}",        json.ERROR_PARSE_OBJECT_KEY_SEP },
    { "{\"a\": 1 \"b\"}", json.ERROR_PARSE_OBJECT_VALUE_SEP },
    { "\"bad \\q\"",      json.ERROR_PARSE_STRING },
    { "/x 1",             json.ERROR_PARSE_COMMENT },
    { string.rep("[", 40) .. string.rep("]", 40), json.ERROR_DEPTH },
  }
  for _, c in ipairs(cases) do
    local obj, code, err = json.decode(c[1])
    if obj ~= nil then t:error(string.format("%q decoded", c[1])) end
    if code ~= c[2] then
      t:error(string.format("%q: code %s, want %s (%s)", c[1], tostring(code), c[2], json.strerror(c[2])))
    end
    if type(err) ~= "string" or not string.find(err, json.strerror(c[2]), 1, true) then
      t:error(string.format("%q: message %s does not carry %q", c[1], tostring(err), json.strerror(c[2])))
    end
  end
end

function TestLenientInputJsonCAccepts(t)
  local v = json.decode([[ /* c */ {'single': 'quotes', "t": TRUE, "n": Null, // line
    "list": [1, 2,], } trailing text is ignored]])
  if not v then t:fatal("lenient input refused") end
  t:eq(v.single, "quotes", "single-quoted strings")
  t:eq(v.t, true, "case-insensitive true")
  t:eq(v.list[2], 2, "trailing comma in array")
  t:eq(#v.list, 2, "trailing comma adds nothing")
  t:eq(json.decode([["\u00e9\ud83d\ude00"]]) and tostring(json.decode([["\u00e9\ud83d\ude00"]])), "\"\195\169\240\159\152\128\"", "unicode escapes become UTF-8")
  t:eq(json.decode(string.rep("[", 32) .. string.rep("]", 32)) ~= nil, true, "32 levels are allowed")
end

function TestStrerror(t)
  t:eq(json.strerror(json.ERROR_DEPTH), "nesting too deep", "depth")
  t:eq(json.strerror(json.ERROR_PARSE_EOF), "unexpected end of data", "eof")
  t:eq(json.strerror(json.ERROR_PARSE_OBJECT_KEY_SEP), "object property name separator ':' expected", "key sep")
  local names = { "ERROR_DEPTH", "ERROR_PARSE_EOF", "ERROR_PARSE_UNEXPECTED", "ERROR_PARSE_NULL",
    "ERROR_PARSE_BOOLEAN", "ERROR_PARSE_NUMBER", "ERROR_PARSE_ARRAY", "ERROR_PARSE_OBJECT_KEY_NAME",
    "ERROR_PARSE_OBJECT_KEY_SEP", "ERROR_PARSE_OBJECT_VALUE_SEP", "ERROR_PARSE_STRING", "ERROR_PARSE_COMMENT" }
  local seen = {}
  for _, n in ipairs(names) do
    local c = json[n]
    if type(c) ~= "number" then t:error(n .. " missing") elseif seen[c] then t:error(n .. " repeats a value") end
    seen[c or n] = true
  end
  local ok, err = pcall(json.strerror, "x")
  if ok or not string.find(err, "bad argument #1 to '?' (number expected, got string)", 1, true) then
    t:error("strerror('x'): " .. tostring(err))
  end
end

function TestBadArguments(t)
  local ok, err = pcall(json.decode)
  if ok or not string.find(err, "bad argument #1 to '?' (string expected, got no value)", 1, true) then
    t:error("decode(): " .. tostring(err))
  end
  ok, err = pcall(json.encode)
  if ok or not string.find(err, "bad argument #1 to '?' (value expected)", 1, true) then
    t:error("encode(): " .. tostring(err))
  end
  t:eq(tostring(json.encode(nil)), "null", "encode(nil)")
end

function TestRoundTrip(t)
  local src = [[{ "a": [ 1, 2.500000, "x", null, { "b": { } } ], "c": false }]]
  t:eq(tostring(json.decode(src)), src, "decode then tostring gives the same text")
end
