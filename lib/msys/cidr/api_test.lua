-- msys.cidr over an rbldnsd file, a datasource and an empty table.

require("msys.cidr")
local dir = os.getenv("MSYSHOST_TEST_DIR")

local function eq(t, got, want, what)
  if got ~= want then t:error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want))) end
end

local function raises(t, f, want, what)
  local ok, err = pcall(f)
  if ok then t:error(what .. ": no error")
  elseif not string.find(tostring(err), want, 1, true) then t:error(what .. ": " .. tostring(err)) end
end

function TestRBLDNSD(t)
  msys.cidr.define("zone", { type = "rbldnsd", source = dir .. "/zone.rbl", default_value = "127.0.0.0", refresh = 0 })
  eq(t, msys.cidr.query("zone", "192.0.2.1"), "127.0.0.2", "a network, default A")
  eq(t, msys.cidr.query("zone", "192.0.2.200"), "127.0.0.0", "an excluded part answers the default")
  eq(t, msys.cidr.query("zone", "198.51.100.7"), "127.0.0.4", "its own A")
  eq(t, msys.cidr.query("zone", "203.0.113.12"), "127.0.0.2", "inside a range")
  eq(t, msys.cidr.query("zone", "203.0.113.14"), "127.0.0.0", "past the range")
  eq(t, msys.cidr.query("zone", "10.1.2.99"), "127.0.0.2", "three-octet network")
  eq(t, msys.cidr.query("zone", "2001:db8::1"), "127.0.0.5", "IPv6")
  eq(t, msys.cidr.query("zone", "8.8.8.8"), "127.0.0.0", "no match")
end

function TestTXTAndInterpolate(t)
  msys.cidr.define("ztxt", { type = "rbldnsd", source = "file://" .. dir .. "/zone.rbl", value = "txt", interpolate = true, refresh = 0 })
  eq(t, msys.cidr.query("ztxt", "198.51.100.7"), "Spam source 198.51.100.7", "txt with $ replaced")
  eq(t, msys.cidr.query("ztxt", "192.0.2.9"), "Listed: see http://example.com/?ip=192.0.2.9", "default txt")
  eq(t, msys.cidr.query("ztxt", "8.8.8.8"), nil, "default_value defaults to nil")
end

function TestDatasource(t)
  msys.cidr.define("ds", { type = "datasource", cachename = "mydb", query = "SELECT net, verdict FROM nets", cidr_column = "net", value_column = "verdict", refresh = 0 })
  eq(t, msys.cidr.query("ds", "192.0.2.5"), "allow", "the longest network wins")
  eq(t, msys.cidr.query("ds", "192.0.2.6"), "block", "the /24")
  msys.cidr.define("ds2", { type = "datasource", cachename = "mydb", query = "SELECT net FROM nets", refresh = 0 })
  eq(t, msys.cidr.query("ds2", "192.0.2.6"), true, "no value column: true")
  raises(t, function() msys.cidr.define("bad", { type = "datasource", cachename = "other", query = "q" }) end, "other", "unknown datasource")
  raises(t, function() msys.cidr.define("bad", { type = "datasource", cachename = "mydb", query = "SELECT nope FROM nets" }) end, "no such column: nope", "bad query")
end

function TestEmptyAndErrors(t)
  msys.cidr.define("nothing", "empty")
  eq(t, msys.cidr.query("nothing", "192.0.2.1"), nil, "empty")
  raises(t, function() msys.cidr.define("x", { type = "rbldnsd" }) end, "needs options.source", "no source")
  raises(t, function() msys.cidr.define("x", { type = "dns" }) end, "options.type is datasource, rbldnsd or empty", "type")
  raises(t, function() msys.cidr.define("x", { type = "rbldnsd", source = dir .. "/missing" }) end, "no such file", "missing file")
  raises(t, function() msys.cidr.query("undefined", "1.2.3.4") end, "no CIDR named 'undefined'", "undefined")
  raises(t, function() msys.cidr.query("nothing", "not-an-ip") end, "bad argument #2 to 'query' (IP address expected", "bad address")
  raises(t, function() msys.cidr.query("nothing") end, "no session to take the client address from", "no session")
end

function TestReload(t)
  local path = dir .. "/live.rbl"
  local f = io.open(path, "w") f:write("192.0.2.1\n") f:close()
  msys.cidr.define("live", { type = "rbldnsd", source = path, refresh = 0 })
  eq(t, msys.cidr.query("live", "192.0.2.2"), nil, "before")
  f = io.open(path, "w") f:write("192.0.2.0/24\n") f:close()
  msys.cidr.reload("live")
  eq(t, msys.cidr.query("live", "192.0.2.2"), "127.0.0.2", "after reload")
  f = io.open(path, "w") f:write("not a network\n") f:close()
  raises(t, function() msys.cidr.reload("live") end, "line 1: bad network", "broken file")
  eq(t, msys.cidr.query("live", "192.0.2.2"), "127.0.0.2", "the old data stays")
end
