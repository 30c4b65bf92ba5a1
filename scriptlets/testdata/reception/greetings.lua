-- Says which greeting it saw and how the session speaks; refuses or
-- disconnects some names.
require("msys.core")
require("msys.extended.message")
local core = msys.core
local mod = {}

function mod:validate_ehlo(str, ac, vctx)
  local name = tostring(str)
  print("ehlo", name, core.protocol_string(ac.protocol), vctx:get(core.VCTX_MESS, "mailfrom_string"))
  if name == "bad.example" then
    vctx:set_code(550, "5.7.1 Not that name")
    return core.VALIDATE_DONE
  elseif name == "gone.example" then
    vctx:disconnect(421, "4.7.0 Go away")
    return core.VALIDATE_DONE
  end
  return core.VALIDATE_CONT
end

function mod:validate_mailfrom(str, ac, vctx)
  print("mailfrom", core.protocol_string(ac.protocol))
  return core.VALIDATE_CONT
end

function mod:validate_data(msg, ac, vctx)
  print("recv_method", core.protocol_string(msg.recv_method))
  return core.VALIDATE_CONT
end

msys.registerModule("greetings", mod)
