-- msys.audit without inbound_audit configured: loading works, calls fail
-- saying what is missing.

require("msys.audit")

function TestNotConfigured(t)
  local ok, err = pcall(msys.audit.connections, "60,2", "192.0.2.1")
  if ok or not string.find(err, "connections: the inbound_audit module is not configured", 1, true) then
    t:error(tostring(err))
  end
end
