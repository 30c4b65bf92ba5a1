-- Lua tests of msys.extended.message_routing.

require("msys.core")
require("msys.extended.message")
local mod = require("msys.extended.message_routing")

local function eq(t, got, want, what)
  if got ~= want then
    t:error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)))
  end
end

function TestRequire(t)
  eq(t, mod, true, "require result")
end

function TestRoutingDomain(t)
  local msg = msys.core.ec_message_new(nil)
  eq(t, msg:routing_domain(), "", "no recipient")
  msg:rcptto("15551234@SMPP.Example.COM")
  eq(t, msg:routing_domain(), "smpp.example.com", "default is the recipient's domain, lower case")
  eq(t, msg:routing_domain("Mail.Example.ORG"), "mail.example.org", "set returns lower case")
  eq(t, msg:routing_domain(), "mail.example.org", "get after set")
  msg:rcptto("x@other.example")
  eq(t, msg:routing_domain(), "mail.example.org", "set survives a recipient change")
  eq(t, msg:routing_domain(""), "other.example", "empty clears")
  local ok, err = pcall(function() msg:routing_domain("a b") end)
  eq(t, ok, false, "bad domain rejected")
  if not string.find(err, "bad argument #1 to 'routing_domain'", 1, true) then
    t:error("error text: " .. err)
  end
  ok, err = pcall(function() msg:routing_domain({}) end)
  if ok or not string.find(err, "string expected, got table", 1, true) then
    t:error("table accepted: " .. tostring(err))
  end
end
