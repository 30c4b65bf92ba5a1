-- Every reception phase prints what it was given, so a scenario can check
-- the order, the arguments, the contexts and the per-session self.
require("msys.core")
require("msys.extended.message")

local core = msys.core
local mod = {}

function mod:note(...)
  self.seen = (self.seen or 0) + 1
  print(self.seen, ...)
end

function mod:validate_connect(ac, vctx)
  self:note("connect", msys.type(ac), ac.remote_addr, ac.local_addr, ac.protocol == core.P_ESMTP,
    ac.tls, vctx:get(core.VCTX_CONN, "can_relay"))
  vctx:set(core.VCTX_CONN, "session_mark", "m1")
  return core.VALIDATE_CONT
end

function mod:validate_ehlo(str, ac, vctx)
  -- str is an ec_string that behaves as a string
  self:note("ehlo", msys.type(str), tostring(str), #str, "[" .. str .. "]", ac.ehlo,
    vctx:get(core.VCTX_CONN, "ehlo_domain"), vctx:get(core.VCTX_CONN, "ehlo_string"))
  return core.VALIDATE_CONT
end

function mod:validate_mailfrom(str, ac, vctx)
  self:note("mailfrom", tostring(str), vctx:get(core.VCTX_MESS, "mailfrom_localpart"),
    vctx:get(core.VCTX_MESS, "mailfrom_domain"), vctx:get(core.VCTX_MESS, "mailfrom_string"))
  vctx:set(core.VCTX_MESS, "tagged_at", "mailfrom")
  return core.VALIDATE_CONT
end

function mod:validate_rcptto(msg, str, ac, vctx)
  self:note("rcptto", msys.type(msg), tostring(str), msg:rcptto(), msg:mailfrom(),
    vctx:get(core.VCTX_MESS, "tagged_at"), vctx:get(core.VCTX_MESS, "rcptto_domain"),
    vctx:get(core.VCTX_CONN, "message_rcpt_count"))
  return core.VALIDATE_CONT
end

function mod:validate_data(msg, ac, vctx)
  self:note("data", msg:context_get(core.ECMESS_CTX_MESS, "tagged_at"),
    msg:context_get(core.ECMESS_CTX_CONN, "session_mark"), msg:header("Subject")[1],
    msg:reception_peer("ip"), msg:listener_addr("port"), msg:rcptto())
  return core.VALIDATE_CONT
end

function mod:validate_data_spool(msg, ac, vctx)
  self:note("data_spool", msg.batch_id ~= "", msg:get_message_size() > 0)
  vctx:set(core.VCTX_MESS, "spooled", "yes")
  return core.VALIDATE_CONT
end

function mod:validate_data_spool_each_rcpt(msg, ac, vctx)
  self:note("each_rcpt", msg:rcptto(), vctx:get(core.VCTX_MESS, "spooled"),
    vctx:get(core.VCTX_MESS, "rcptto_localpart"))
  return core.VALIDATE_CONT
end

function mod:validate_set_binding(msg)
  self:note("set_binding", msg:rcptto(), msg:binding())
  return core.VALIDATE_CONT
end

function mod:core_final_validation(msg, ac, vctx)
  self:note("final", msg:rcptto(), msys.type(vctx))
  return core.VALIDATE_CONT
end

function mod:validate_dealloc()
  self:note("dealloc", rawget(self, "note") == nil)
end

msys.registerModule("phases", mod)
