-- msys.audit_series: counts per key in time windows.

local as = require("msys.audit_series")
local session = require("test.session")

local function eq(t, got, want, what)
  if got ~= want then t:error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want))) end
end

local function raises(t, f, want, what)
  local ok, err = pcall(f)
  if ok then t:error(what .. ": no error")
  elseif not string.find(tostring(err), want, 1, true) then t:error(what .. ": " .. tostring(err)) end
end

function TestStringSeriesWindows(t)
  as.define("senders", "string", 60, 3)
  as.add("senders", "alice")
  as.add("senders", { key = "alice", count = 4 })
  as.add("senders", { key = "bob" })
  eq(t, as.count("senders", "alice"), 5, "current window")
  session.advance(60)
  as.add("senders", "alice")
  eq(t, as.count("senders", "alice"), 1, "a new window")
  eq(t, as.count("senders", { key = "alice", startv = 0, endv = 1 }), 6, "two windows")
  session.advance(120)
  eq(t, as.count("senders", { key = "alice", startv = 0, endv = 2 }), 1, "the oldest fell off")
  eq(t, as.count("senders", { key = "alice", startv = 2, endv = 2 }), 1, "window 2 only")
  as.remove_item("senders", "alice")
  eq(t, as.count("senders", { key = "alice", startv = 0, endv = 2 }), 0, "removed")
  raises(t, function() as.add("senders") end, "a string series needs a key", "no key")
end

function TestCIDRSeries(t)
  as.define("peers", "cidr", 300, 6)
  as.add("peers", "192.0.2.10")
  as.add("peers", { key = "192.0.2.20", count = 2 })
  as.add("peers", session.accept("198.51.100.7:4567"))
  eq(t, as.count("peers", "192.0.2.10"), 1, "one address")
  eq(t, as.count("peers", "192.0.2.0/24"), 3, "a network")
  eq(t, as.count("peers", "198.51.100.7"), 1, "from an accept construct")
  eq(t, as.count("peers", "0.0.0.0/0"), 4, "everything")
  raises(t, function() as.add("peers", "2001:db8::1") end, "does not fit a cidr (IPv4) series", "IPv6 in an IPv4 series")
  raises(t, function() as.add("peers", "not an ip") end, "is not an IP address", "junk")
  raises(t, function() as.count("peers") end, "no key given and no session", "no session")
  as.define("peers6", "cidr_ipv6", 60, 1)
  as.add("peers6", "2001:db8::1")
  eq(t, as.count("peers6", "2001:db8::/32"), 1, "IPv6 network")
end

function TestDefine(t)
  as.define("again", "string", 10, 2)
  as.add("again", "k")
  as.define("again", "string", 10, 2)
  eq(t, as.count("again", "k"), 1, "same shape keeps counts")
  as.define("again", "string", 20, 2)
  eq(t, as.count("again", "k"), 0, "another shape starts afresh")
  raises(t, function() as.define("x", "ipv9", 10, 2) end, "bad argument #2 to 'define' (invalid option 'ipv9')", "type")
  raises(t, function() as.add("nothing", "k") end, "no series named 'nothing'", "undefined")
end
