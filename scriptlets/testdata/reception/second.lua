-- The second module: says what it saw, so a scenario sees whether it ran.
require("msys.core")
local mod = {}
function mod:validate_rcptto(msg, str, ac, vctx)
  print("second saw", tostring(str))
  return msys.core.VALIDATE_CONT
end
function mod:validate_data(msg, ac, vctx)
  print("second data")
  return msys.core.VALIDATE_CONT
end
msys.registerModule("second", mod)
