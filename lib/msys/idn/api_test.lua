-- msys.idn: domain names between UTF-8 and ASCII.

local idn = require("msys.idn")

function TestRoundTrip(t)
  t:eq(idn.to_idn("bücher.example"), "xn--bcher-kva.example", "to ASCII")
  t:eq(idn.to_utf8("xn--bcher-kva.example"), "bücher.example", "to UTF-8")
  t:eq(idn.to_idn("例え.テスト"), "xn--r8jz45g.xn--zckzah", "Japanese")
  t:eq(idn.to_utf8(idn.to_idn("ünïcödé.example")), "ünïcödé.example", "round trip")
  t:eq(idn.to_idn("plain.example"), "plain.example", "ASCII unchanged")
  t:eq(idn.to_idn("BÜCHER.example"), "xn--bcher-kva.example", "lookup mapping lowers case")
end

function TestFailures(t)
  local v, err = idn.to_utf8("xn--a.example")
  t:eq(v, nil, "bad punycode")
  if type(err) ~= "string" or err == "" then t:error("error text: " .. tostring(err)) end
  v, err = idn.to_idn(string.rep("a", 64) .. ".example")
  t:eq(v, nil, "a label over 63 bytes")
  v, err = idn.to_idn("a b.example")
  t:eq(v, nil, "a space is not allowed")
end
