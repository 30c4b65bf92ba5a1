-- msys.audit over an inbound_audit with one monitor "60,2", and
-- ac:inbound_session_count (msys.extended.ac).

require("msys.audit")
require("msys.extended.ac")
local ta = require("test.audit")

function TestCounts(t)
  t:eq(msys.audit.connections("60,2", "192.0.2.1"), 1, "one address")
  t:eq(msys.audit.connections("60,2", "192.0.2.0/24"), 2, "a network")
  t:eq(msys.audit.connections("60,2", { cidr = "0.0.0.0/0" }), 2, "everything")
  t:eq(msys.audit.receptions("60,2", "192.0.2.0/24"), 1, "receptions")
  t:eq(msys.audit.rejections("60,2", "198.51.100.1"), 1, "rejections")
  ta.advance(60)
  t:eq(msys.audit.connections("60,2", "192.0.2.0/24"), 0, "a new window")
  t:eq(msys.audit.connections("60,2", { cidr = "192.0.2.0/24", startv = 0, endv = 1 }), 2, "over two windows")
  ta.advance(120)
  t:eq(msys.audit.connections("60,2", { cidr = "192.0.2.0/24", startv = 0, endv = 1 }), 0, "aged out")
  local ok, err = pcall(msys.audit.connections, "900,1", "192.0.2.1")
  if ok or not string.find(err, 'no inbound_audit monitor "900,1"', 1, true) then t:error(tostring(err)) end
  ok, err = pcall(msys.audit.connections, "60,2")
  if ok or not string.find(err, "no session to take the client address from", 1, true) then t:error(tostring(err)) end
end

function TestSessions(t)
  t:eq(msys.audit.inbound_session_count("192.0.2.1", "SMTP"), 2, "open SMTP sessions")
  t:eq(msys.audit.inbound_session_count("192.0.2.0/24"), 2, "SMTP by default")
  t:eq(msys.audit.inbound_session_count("localhost/32", "Control"), 1, "localhost")
  local ac = ta.accept("192.0.2.1:4000")
  t:eq(ac:inbound_session_count(), 2, "the accept construct's client")
  t:eq(ac:inbound_session_count("/24"), 2, "the client's /24")
  t:eq(ac:inbound_session_count(nil, "Control"), 0, "service only")
end

function TestCapabilities(t)
  local ac = ta.accept("192.0.2.1:4000")
  ac:esmtp_capability_add("8BITMIME")
  ac:esmtp_capability_add("SIZE 1000000")
  ac:esmtp_capability_add("8bitmime")
  ac:esmtp_capability_remove("size")
  t:eq(ac.protocol, msys.core.P_ESMTP, "protocol")
  t:eq(ac.remote_addr, "192.0.2.1:4000", "remote_addr")
  local smpp = ta.accept("192.0.2.1:4000", msys.core.P_SMPP)
  local ok, err = pcall(smpp.esmtp_capability_add, smpp, "X")
  if ok or not string.find(err, "not attached to an SMTP listener", 1, true) then t:error(tostring(err)) end
end
