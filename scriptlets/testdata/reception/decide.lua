-- The first module: decides by the address it is asked about.
require("msys.core")
require("msys.extended.message")
require("msys.extended.vctx")
local core = msys.core
local mod = {}

function mod:validate_mailfrom(str, ac, vctx)
  local from = tostring(str)
  if from == "disconnect@example.com" then
    vctx:disconnect(421, "4.7.0 Go away")
    return core.VALIDATE_DONE
  elseif from == "late@example.com" then
    self.hold = true
  end
  return core.VALIDATE_CONT
end

function mod:validate_rcptto(msg, str, ac, vctx)
  local rcpt = tostring(str)
  local lp = string.match(rcpt, "^([^@]+)")
  if lp == "done" then
    vctx:set_code(550, "5.1.1 No such address")
    return core.VALIDATE_DONE
  elseif lp == "cont" then
    -- the reply applies when the phase ends, after the other modules ran
    vctx:set_code(550, "5.7.1 Refused after all")
    return core.VALIDATE_CONT
  elseif lp == "temp" then
    vctx:set_code(451, "4.7.1 Try again later")
    return core.VALIDATE_DONE
  elseif lp == "multi" then
    vctx:set_code(550, "5.7.1 Not here\nnor there")
    return core.VALIDATE_DONE
  elseif lp == "ok250" then
    vctx:set_code(250, "fine by me")
    return core.VALIDATE_DONE
  elseif lp == "again" then
    self.tries = (self.tries or 0) + 1
    if self.tries < 3 then return core.VALIDATE_AGAIN end
    self.tries = nil
  elseif lp == "patient" then
    -- eight times, then on: the second module asks as often
    self.tries = (self.tries or 0) + 1
    if self.tries <= 8 then return core.VALIDATE_AGAIN end
    self.tries = nil
  elseif lp == "forever" then
    return core.VALIDATE_AGAIN
  elseif lp == "code299" then
    vctx:set_code(299, "odd")
    return core.VALIDATE_DONE
  elseif lp == "code800" then
    vctx:set_code(800, "odd")
    return core.VALIDATE_DONE
  end
  return core.VALIDATE_CONT
end

function mod:validate_data(msg, ac, vctx)
  local subject = msg:header("Subject")[1] or ""
  if subject == "discard me" then
    msg:discard()
  elseif subject == "too late" then
    vctx:set_code(554, "5.7.1 Content refused")
    return core.VALIDATE_DONE
  end
  if self.hold then vctx:tarpit(0.05) end
  return core.VALIDATE_CONT
end

function mod:validate_set_binding(msg)
  if msg:rcptto() == "binding-again@example.com" then
    return core.VALIDATE_AGAIN
  end
  return core.VALIDATE_CONT
end

msys.registerModule("decide", mod)
