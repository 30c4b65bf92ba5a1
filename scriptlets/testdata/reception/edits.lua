-- Changes the message and its envelope along the phases.
require("msys.core")
require("msys.extended.message")
require("msys.extended.message_routing")
require("msys.extended.vctx")
local core = msys.core
local mod = {}

local function joined(list)
  local out = {}
  for i = 0, #list do out[#out + 1] = list[i] end
  return table.concat(out, ",")
end

function mod:validate_rcptto(msg, str, ac, vctx)
  if string.find(tostring(str), "^nobody@") then
    vctx:set_code(550, "5.1.1 No such address")
    return core.VALIDATE_DONE
  end
  return core.VALIDATE_CONT
end

function mod:validate_data(msg, ac, vctx)
  if msg:header("X-Add-Copy")[1] then
    vctx:add_recipient(msg:header("X-Add-Copy")[1])
  end
  print("data rcpts", joined(vctx:recipient_list()))
  return core.VALIDATE_CONT
end

function mod:validate_data_spool(msg, ac, vctx)
  if msg:header("X-Drop")[1] then
    vctx:remove_recipient(msg:header("X-Drop")[1])
  end
  msg:header("X-Spooled", "once")
  return core.VALIDATE_CONT
end

function mod:validate_data_spool_each_rcpt(msg, ac, vctx)
  -- each recipient's own copy: these edits are what is queued
  msg:header("X-For", msg:rcptto())
  msg:header("Subject", "[" .. string.match(msg:rcptto(), "^[^@]+") .. "] " .. msg:header("Subject")[1])
  msg:text_replace("hello", "hello " .. msg:rcptto())
  vctx:set(core.VCTX_MESS, "copy_of", msg:rcptto())
  if msg:rcptto() == "sms@example.com" then
    msg:routing_domain("smpp.example.com")
  end
  return core.VALIDATE_CONT
end

function mod:validate_set_binding(msg)
  local sender = msg:mailfrom()
  if string.find(sender, "@bulk%.example$") then
    print("binding", msg:binding("bulk"))
  elseif string.find(sender, "@pool%.example$") then
    print("group", msg:binding_group("outbound"), msg:binding())
  else
    print("unknown binding", msg:binding("nosuch"), msg:binding())
  end
  return core.VALIDATE_CONT
end

msys.registerModule("edits", mod)
