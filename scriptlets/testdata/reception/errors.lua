-- Fails in the phase the client names in EHLO ("raise.data", "nil.rcptto",
-- "loop.mailfrom", "tail.mailfrom"), or at connect for 192.0.2.99.
require("msys.core")
local core = msys.core
local mod = {}

local function act(self, phase)
  if self.phase ~= phase then return core.VALIDATE_CONT end
  if self.how == "raise" or self.how == "tail" then
    error("policy broke in " .. phase)
  elseif self.how == "loop" then
    while true do end
  elseif self.how == "number" then
    return 42
  end
  return nil
end

function mod:validate_connect(ac, vctx)
  if string.find(ac.remote_addr, "^192%.0%.2%.99:") then error("no connections today") end
  return core.VALIDATE_CONT
end

function mod:validate_ehlo(str, ac, vctx)
  self.how, self.phase = string.match(tostring(str), "^(%a+)%.([%a_]+)$")
  local r = act(self, "ehlo")
  return r
end

function mod:validate_mailfrom(str, ac, vctx)
  -- a tail call: the error still names act's line
  if self.how == "tail" then return act(self, "mailfrom") end
  local r = act(self, "mailfrom")
  return r
end
function mod:validate_rcptto(msg, str, ac, vctx)
  local r = act(self, "rcptto")
  return r
end
function mod:validate_data(msg, ac, vctx)
  local r = act(self, "data")
  return r
end
function mod:validate_data_spool(msg, ac, vctx)
  local r = act(self, "data_spool")
  return r
end
function mod:validate_data_spool_each_rcpt(msg, ac, vctx)
  local r = act(self, "each_rcpt")
  return r
end
function mod:validate_set_binding(msg)
  local r = act(self, "set_binding")
  return r
end
function mod:core_final_validation(msg, ac, vctx)
  local r = act(self, "final")
  return r
end

msys.registerModule("errors", mod)
