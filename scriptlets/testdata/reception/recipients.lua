-- Edits the recipient list and the relay grant, as a scenario asks by the
-- recipient's local part.
require("msys.core")
require("msys.extended.message")
require("msys.extended.vctx")
local core = msys.core
local mod = {}

local function try(vctx, method, arg)
  local ok, err = pcall(vctx[method], vctx, arg)
  print(method, ok, err and string.match(tostring(err), "refused: .*$"))
end

function mod:validate_connect(ac, vctx)
  if string.find(ac.remote_addr, "^192%.0%.2%.20:") then
    vctx:set(core.VCTX_CONN, "can_relay", "true")
  end
  return core.VALIDATE_CONT
end

function mod:validate_mailfrom(str, ac, vctx)
  if tostring(str) == "norelay@example.com" then
    vctx:set(core.VCTX_CONN, "can_relay", nil)
  end
  return core.VALIDATE_CONT
end

function mod:validate_rcptto(msg, str, ac, vctx)
  local lp = string.match(tostring(str), "^([^@]+)")
  if lp == "add-nodomain" then
    try(vctx, "add_recipient", "nodomain")
  elseif lp == "add-relay" then
    try(vctx, "add_recipient", "x@elsewhere.net")
  elseif lp == "add-crlf" then
    try(vctx, "add_recipient", "a@example.com\r\nRCPT TO:<b@elsewhere.net>")
  elseif lp == "add-many" then
    try(vctx, "add_recipient", { "m1@example.com", "m2@example.com", "m3@example.com", "m4@example.com" })
  elseif lp == "add-ok" then
    vctx:add_recipient("added@example.com")
  elseif lp == "add-refused" then
    vctx:add_recipient("sneaky@example.com")
    vctx:set_code(550, "5.7.1 Not this one")
    return core.VALIDATE_DONE
  end
  return core.VALIDATE_CONT
end

function mod:validate_data(msg, ac, vctx)
  if msg:header("Subject")[1] == "drop all" then
    vctx:recipient_list({})
  end
  return core.VALIDATE_CONT
end

msys.registerModule("recipients", mod)
