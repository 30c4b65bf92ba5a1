-- Lua tests of msys.extended.message_routing.

require("msys.core")
require("msys.extended.message")
local mod = require("msys.extended.message_routing")

function TestRequire(t)
  t:eq(mod, true, "require result")
end

function TestRoutingDomain(t)
  local msg = msys.core.ec_message_new(nil)
  t:eq(msg:routing_domain(), "", "no recipient")
  msg:rcptto("15551234@SMPP.Example.COM")
  t:eq(msg:routing_domain(), "smpp.example.com", "default is the recipient's domain, lower case")
  t:eq(msg:routing_domain("Mail.Example.ORG"), "mail.example.org", "set returns lower case")
  t:eq(msg:routing_domain(), "mail.example.org", "get after set")
  msg:rcptto("x@other.example")
  t:eq(msg:routing_domain(), "mail.example.org", "set survives a recipient change")
  t:eq(msg:routing_domain(""), "other.example", "empty clears")
  local ok, err = pcall(function() msg:routing_domain("a b") end)
  t:eq(ok, false, "bad domain rejected")
  if not string.find(err, "bad argument #1 to 'routing_domain'", 1, true) then
    t:error("error text: " .. err)
  end
  ok, err = pcall(function() msg:routing_domain({}) end)
  if ok or not string.find(err, "string expected, got table", 1, true) then
    t:error("table accepted: " .. tostring(err))
  end
end
