-- msys.cidr over an rbldnsd file, a datasource and an empty table.

require("msys.cidr")
local dir = os.getenv("MSYSHOST_TEST_DIR")

function TestRBLDNSD(t)
  msys.cidr.define("zone", { type = "rbldnsd", source = dir .. "/zone.rbl", default_value = "127.0.0.0", refresh = 0 })
  t:eq(msys.cidr.query("zone", "192.0.2.1"), "127.0.0.2", "a network, default A")
  t:eq(msys.cidr.query("zone", "192.0.2.200"), "127.0.0.0", "an excluded part answers the default")
  t:eq(msys.cidr.query("zone", "198.51.100.7"), "127.0.0.4", "its own A")
  t:eq(msys.cidr.query("zone", "203.0.113.12"), "127.0.0.2", "inside a range")
  t:eq(msys.cidr.query("zone", "203.0.113.14"), "127.0.0.0", "past the range")
  t:eq(msys.cidr.query("zone", "10.1.2.99"), "127.0.0.2", "three-octet network")
  t:eq(msys.cidr.query("zone", "2001:db8::1"), "127.0.0.5", "IPv6")
  t:eq(msys.cidr.query("zone", "8.8.8.8"), "127.0.0.0", "no match")
end

function TestTXTAndInterpolate(t)
  msys.cidr.define("ztxt", { type = "rbldnsd", source = "file://" .. dir .. "/zone.rbl", value = "txt", interpolate = true, refresh = 0 })
  t:eq(msys.cidr.query("ztxt", "198.51.100.7"), "Spam source 198.51.100.7", "txt with $ replaced")
  t:eq(msys.cidr.query("ztxt", "192.0.2.9"), "Listed: see http://example.com/?ip=192.0.2.9", "default txt")
  t:eq(msys.cidr.query("ztxt", "8.8.8.8"), nil, "default_value defaults to nil")
end

function TestDatasource(t)
  msys.cidr.define("ds", { type = "datasource", cachename = "mydb", query = "SELECT net, verdict FROM nets", cidr_column = "net", value_column = "verdict", refresh = 0 })
  t:eq(msys.cidr.query("ds", "192.0.2.5"), "allow", "the longest network wins")
  t:eq(msys.cidr.query("ds", "192.0.2.6"), "block", "the /24")
  msys.cidr.define("ds2", { type = "datasource", cachename = "mydb", query = "SELECT net FROM nets", refresh = 0 })
  t:eq(msys.cidr.query("ds2", "192.0.2.6"), true, "no value column: true")
  t:raises(function() msys.cidr.define("bad", { type = "datasource", cachename = "other", query = "q" }) end, "other", "unknown datasource")
  t:raises(function() msys.cidr.define("bad", { type = "datasource", cachename = "mydb", query = "SELECT nope FROM nets" }) end, "no such column: nope", "bad query")
end

function TestEmptyAndErrors(t)
  msys.cidr.define("nothing", "empty")
  t:eq(msys.cidr.query("nothing", "192.0.2.1"), nil, "empty")
  t:raises(function() msys.cidr.define("x", { type = "rbldnsd" }) end, "needs options.source", "no source")
  t:raises(function() msys.cidr.define("x", { type = "dns" }) end, "options.type is datasource, rbldnsd or empty", "type")
  t:raises(function() msys.cidr.define("x", { type = "rbldnsd", source = dir .. "/missing" }) end, "no such file", "missing file")
  t:raises(function() msys.cidr.query("undefined", "1.2.3.4") end, "no CIDR named 'undefined'", "undefined")
  t:raises(function() msys.cidr.query("nothing", "not-an-ip") end, "bad argument #2 to 'query' (IP address expected", "bad address")
  t:raises(function() msys.cidr.query("nothing") end, "no session to take the client address from", "no session")
end

function TestReload(t)
  local path = dir .. "/live.rbl"
  local f = io.open(path, "w") f:write("192.0.2.1\n") f:close()
  msys.cidr.define("live", { type = "rbldnsd", source = path, refresh = 0 })
  t:eq(msys.cidr.query("live", "192.0.2.2"), nil, "before")
  f = io.open(path, "w") f:write("192.0.2.0/24\n") f:close()
  msys.cidr.reload("live")
  t:eq(msys.cidr.query("live", "192.0.2.2"), "127.0.0.2", "after reload")
  f = io.open(path, "w") f:write("not a network\n") f:close()
  t:raises(function() msys.cidr.reload("live") end, "line 1: bad network", "broken file")
  t:eq(msys.cidr.query("live", "192.0.2.2"), "127.0.0.2", "the old data stays")
end
