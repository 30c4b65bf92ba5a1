-- An SMTP reception policy: Momentum's validate_* hooks on every session
-- of SMTP in (see README "SMTP reception policy"). Load it with
--   scriptlet "scriptlet" { script "reception" { source = "reception" } }
-- and try it with examples/scenarios/reception_*.yaml.
require("msys.core")
require("msys.extended.message")
require("msys.extended.vctx")
require("msys.counter")

local core = msys.core
local mod = {}

-- Senders refused at MAIL FROM, and local parts that do not exist here.
local blocked_senders = { ["spammer@bad.example"] = true }
local unknown_users = { nobody = true, ["no-reply"] = true }
-- Recipients one session may give before it is told to slow down.
local max_rcpts_per_session = 50

local refused = msys.counter.open("/site/reception/refused")

local function refuse(vctx, code, text)
  msys.counter.inc(refused)
  vctx:set_code(code, text)
  return core.VALIDATE_DONE
end

function mod:validate_connect(ac, vctx)
  -- self is this session's own table (its module functions still reach mod)
  self.rcpts = 0
  if string.find(ac.remote_addr, "^192%.0%.2%.66:") then
    return refuse(vctx, 554, "5.7.1 Connections from your address are not accepted")
  end
  vctx:set(core.VCTX_CONN, "policy_greeted", "yes")
  return core.VALIDATE_CONT
end

function mod:validate_mailfrom(str, ac, vctx)
  if blocked_senders[string.lower(tostring(str))] then
    return refuse(vctx, 550, "5.7.1 Sender refused by policy")
  end
  return core.VALIDATE_CONT
end

function mod:validate_rcptto(msg, str, ac, vctx)
  self.rcpts = (self.rcpts or 0) + 1
  if self.rcpts > max_rcpts_per_session then
    vctx:set_code(452, "4.5.3 Too many recipients in this session")
    return core.VALIDATE_DONE
  end
  local localpart = vctx:get(core.VCTX_MESS, "rcptto_localpart")
  if unknown_users[string.lower(localpart)] then
    return refuse(vctx, 550, "5.1.1 No such address")
  end
  return core.VALIDATE_CONT
end

function mod:validate_data(msg, ac, vctx)
  -- a header check: flagged or bracket-tagged spam is refused whole
  local flag = msg:header("X-Spam-Flag")[1]
  local subject = msg:header("Subject")[1] or ""
  if (flag and string.upper(flag) == "YES") or string.find(subject, "[SPAM]", 1, true) then
    return refuse(vctx, 554, "5.7.1 Message content refused")
  end
  if #msg:header("Date") == 0 then
    vctx:set(core.VCTX_MESS, "date_missing", "true")
  end
  return core.VALIDATE_CONT
end

function mod:validate_data_spool(msg, ac, vctx)
  -- a context set: the channels and the message store carry it along
  vctx:set(core.VCTX_MESS, "reception_policy", "checked")
  return core.VALIDATE_CONT
end

function mod:validate_data_spool_each_rcpt(msg, ac, vctx)
  -- each recipient's copy is what is queued, so edits here are delivered
  msg:header("X-Reception-Policy", "checked for " .. msg:rcptto())
  return core.VALIDATE_CONT
end

function mod:validate_set_binding(msg)
  local localpart, domain = core.string_new(), core.string_new()
  msg:get_envelope2(core.EC_MSG_ENV_FROM, localpart, domain)
  if tostring(domain) == "bulk.example" then
    msg:binding("bulk")
  end
  if string.find(msg:header("Subject")[1] or "", "^URGENT") then
    msg.priority = 1
  end
  return core.VALIDATE_CONT
end

msys.registerModule("reception", mod)
