-- Reads inbound_audit's counts from inside a session.
require("msys.core")
require("msys.audit")
require("msys.extended.ac")
local mod = {}
function mod:validate_connect(ac, vctx)
  print("sessions", ac:inbound_session_count(), "connections", msys.audit.connections("60,1"))
  return msys.core.VALIDATE_CONT
end
function mod:validate_rcptto(msg, str, ac, vctx)
  if string.find(tostring(str), "^nobody@") then
    vctx:set_code(550, "5.1.1 No such address")
    return msys.core.VALIDATE_DONE
  end
  return msys.core.VALIDATE_CONT
end
function mod:validate_data(msg, ac, vctx)
  print("so far", msys.audit.receptions("60,1"), msys.audit.rejections("60,1"))
  return msys.core.VALIDATE_CONT
end
msys.registerModule("audit", mod)
