-- msg:inject when the spool refuses: nil and the error.
require("msys.extended.message")

function TestInjectRefused(t)
  local msg = msys.core.ec_message_new(nil)
  msg:raw("Subject: x\r\n\r\nbody\r\n")
  local ok, err = msg:inject("a@example.com", "b@example.com")
  if ok ~= nil or err ~= "spool full" then
    t:error("inject = " .. tostring(ok) .. ", " .. tostring(err))
  end
  ok, err = msg:forward("a@example.com", "b@example.com", "fyi")
  if ok ~= nil or err ~= "spool full" then
    t:error("forward = " .. tostring(ok) .. ", " .. tostring(err))
  end
end
