-- A reception policy for the runner's own checks: refuses nobody@.
require("msys.core")
local mod = {}
function mod:validate_rcptto(msg, str, ac, vctx)
  if string.find(tostring(str), "^nobody@") then
    vctx:set_code(550, "5.1.1 No such address")
    return msys.core.VALIDATE_DONE
  end
  return msys.core.VALIDATE_CONT
end
msys.registerModule("reception", mod)
