-- msys.dnsLookup against the in-process DNS server of api_test.go.

local function list(t)
  local out = {}
  for i, v in ipairs(t) do
    out[i] = type(v) == "table" and ("{" .. tostring(v[1]) .. "," .. tostring(v[2]) .. "}") or tostring(v)
  end
  return table.concat(out, " ")
end

local function expect(t, what, got, want)
  if got ~= want then t:error(what .. ": got " .. tostring(got) .. ", want " .. tostring(want)) end
end

function TestAKeepsAnswerOrder(t)
  local r, err = msys.dnsLookup("www.example.test", "A")
  if not r then t:fatal("lookup failed: " .. tostring(err)) end
  expect(t, "A records", list(r), "192.0.2.30 192.0.2.10 192.0.2.20")
  expect(t, "type omitted means A", list(msys.dnsLookup("www.example.test")), "192.0.2.30 192.0.2.10 192.0.2.20")
  expect(t, "a final dot is accepted", list(msys.dnsLookup("www.example.test.", "A")), "192.0.2.30 192.0.2.10 192.0.2.20")
  expect(t, "names are case-insensitive", list(msys.dnsLookup("WWW.Example.TEST", "A")), "192.0.2.30 192.0.2.10 192.0.2.20")
end

function TestAAAA(t)
  expect(t, "AAAA records", list(msys.dnsLookup("www.example.test", "AAAA")), "2001:db8::2 2001:db8::1")
end

function TestMXByPreference(t)
  expect(t, "MX hosts", list(msys.dnsLookup("example.test", "MX")),
    "mx1.example.test mx2b.example.test mx2a.example.test mx3.example.test")
  expect(t, "MX with priority", list(msys.dnsLookup("example.test", "MX", { priority = true })),
    "{10,mx1.example.test} {20,mx2b.example.test} {20,mx2a.example.test} {30,mx3.example.test}")
  local r = msys.dnsLookup("example.test", "MX", { priority = true })
  expect(t, "preference is a number", type(r[1][1]), "number")
  expect(t, "priority=false", list(msys.dnsLookup("example.test", "MX", { priority = false })),
    "mx1.example.test mx2b.example.test mx2a.example.test mx3.example.test")
end

function TestTXT(t)
  local r = msys.dnsLookup("example.test", "TXT")
  expect(t, "TXT count", #r, 2)
  expect(t, "strings of one record are joined", r[1], "v=spf1 ip4:192.0.2.0/24 -all")
  expect(t, "bytes come back as sent", r[2], 'quote" back\\ nul\0 end')
end

function TestPTR(t)
  expect(t, "PTR by IPv4 address", list(msys.dnsLookup("192.0.2.10", "PTR")), "www.example.test")
  expect(t, "PTR by reverse name", list(msys.dnsLookup("10.2.0.192.in-addr.arpa", "PTR")), "www.example.test")
  expect(t, "PTR by IPv6 address", list(msys.dnsLookup("2001:db8::1", "PTR")), "v6.example.test")
end

function TestNS(t)
  expect(t, "NS records", list(msys.dnsLookup("example.test", "NS")), "ns1.example.test ns2.example.test")
end

function TestCNAMEIsFollowed(t)
  expect(t, "A through a CNAME", list(msys.dnsLookup("alias.example.test", "A")), "192.0.2.30 192.0.2.10 192.0.2.20")
end

function TestTruncatedAnswerWithoutFallback(t)
  -- dns_fallback_to_tcp is off here: the records that fit in the UDP answer.
  local r = msys.dnsLookup("big.example.test", "TXT")
  if not r or #r == 0 or #r >= 12 then t:error("want a truncated, non-empty answer, got " .. (r and #r or "nil")) end
end

function TestLowercaseType(t)
  expect(t, "mx in lower case", list(msys.dnsLookup("example.test", "mx")),
    "mx1.example.test mx2b.example.test mx2a.example.test mx3.example.test")
end

function TestFailuresReturnNilAndMessage(t)
  local r, err = msys.dnsLookup("nothere.example.test", "A")
  expect(t, "NXDOMAIN result", r, nil)
  if not string.find(tostring(err), "nothere.example.test A: no such domain (NXDOMAIN)", 1, true) then
    t:error("NXDOMAIN message: " .. tostring(err))
  end
  r, err = msys.dnsLookup("notxt.example.test", "TXT")
  expect(t, "NODATA result", r, nil)
  if not string.find(tostring(err), "no records of that type", 1, true) then t:error("NODATA message: " .. tostring(err)) end
  r, err = msys.dnsLookup("bad..name", "A")
  expect(t, "bad name result", r, nil)
  if not string.find(tostring(err), "not a valid domain name", 1, true) then t:error("bad name message: " .. tostring(err)) end
end

function TestInvalidTypeRaises(t)
  local ok, err = pcall(msys.dnsLookup, "example.test", "SRV")
  if ok then t:fatal("an undocumented record type must raise") end
  if not string.find(err, "invalid record type 'SRV'", 1, true) then t:error("message: " .. err) end
  ok, err = pcall(msys.dnsLookup)
  if ok or not string.find(err, "bad argument #1 to '?' (string expected, got no value)", 1, true) then
    t:error("no name: " .. tostring(err))
  end
  ok, err = pcall(msys.dnsLookup, "example.test", "A", "opts")
  if ok or not string.find(err, "bad argument #3 to '?' (table expected, got string)", 1, true) then
    t:error("options not a table: " .. tostring(err))
  end
end

function TestServerOption(t)
  local alt = os.getenv("MSYSHOST_DNS_ALT")
  expect(t, "server host:port", list(msys.dnsLookup("www.example.test", "A", { server = alt })), "198.51.100.7")
  local r, err = msys.dnsLookup("example.test", "MX", { server = alt })
  expect(t, "the other server has no MX", r, nil)
  -- A bare host means port 53 (not the test server's port): nothing there
  -- knows the name (a local resolver would answer NXDOMAIN for .test).
  r, err = msys.dnsLookup("www.example.test", "A", { server = os.getenv("MSYSHOST_DNS_ALT_HOST") })
  expect(t, "bare host means port 53", r, nil)
  if not (string.find(tostring(err), "127.0.0.1:53", 1, true) or string.find(tostring(err), "NXDOMAIN", 1, true)) then
    t:error("error should come from port 53: " .. tostring(err))
  end
end
