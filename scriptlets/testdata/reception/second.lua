-- The second module: says what it saw, so a scenario sees whether it ran.
require("msys.core")
local mod = {}
function mod:validate_rcptto(msg, str, ac, vctx)
  print("second saw", tostring(str))
  if tostring(str) == "patient@example.com" then
    self.tries = (self.tries or 0) + 1
    if self.tries <= 8 then return msys.core.VALIDATE_AGAIN end
    self.tries = nil
  end
  return msys.core.VALIDATE_CONT
end
function mod:validate_data(msg, ac, vctx)
  print("second data")
  return msys.core.VALIDATE_CONT
end
msys.registerModule("second", mod)
