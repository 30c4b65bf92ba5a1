-- msys.base64: RFC 4648 base64 with MIME folding and charsets.

local b64 = require("msys.base64")

function TestRoundTrip(t)
  t:eq(b64.encode("hello, world"), "aGVsbG8sIHdvcmxk", "encode")
  t:eq(b64.decode("aGVsbG8sIHdvcmxk"), "hello, world", "decode")
  t:eq(b64.encode(""), "", "empty")
  local bin = "\0\1\2\255\254"
  t:eq(b64.decode(b64.encode(bin)), bin, "binary round trip")
  local s = msys.core.string_new()
  s:set("ec_string input")
  t:eq(b64.decode(b64.encode(s)), "ec_string input", "ec_string input")
end

function TestFold(t)
  local long = string.rep("x", 100)
  local folded = b64.encode(long, true)
  local first = string.sub(folded, 1, 78)
  t:eq(string.sub(first, 77, 78), "\r\n", "CRLF after 76 characters")
  t:eq(b64.decode(folded), long, "folded text decodes")
  t:eq(string.find(b64.encode(long), "\r\n"), nil, "not folded by default")
end

function TestCharsets(t)
  t:eq(b64.encode("café", false, "iso-8859-1"), "Y2Fm6Q==", "UTF-8 text encoded as Latin-1")
  t:eq(b64.decode("Y2Fm6Q==", "iso-8859-1"), "café", "Latin-1 decoded to UTF-8")
  t:eq(b64.decode("Y2Fm6Q=="), "caf\233", "without a charset the bytes come back")
  t:raises(function() b64.encode("x", false, "klingon") end, 'unsupported charset "klingon"', "unknown charset")
  t:raises(function() b64.encode("日本", false, "iso-8859-1") end, "the text has characters iso-8859-1 cannot hold", "unconvertible")
end

function TestBadInput(t)
  t:raises(function() b64.decode("not*base64!") end, "msys.base64.decode: invalid base64 text", "bad text")
  t:eq(b64.decode("aGVs\r\nbG8="), "hello", "line breaks ignored")
  t:eq(b64.decode("aGVsbG8"), "hello", "missing padding accepted")
  t:raises(function() b64.encode({}) end, "bad argument #1 to 'encode' (string or ec_string expected, got table)", "table")
end
