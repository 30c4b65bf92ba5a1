-- msg:inject when the injector refuses a copy part way through the list:
-- nil, and an error that says how many copies went.
require("msys.extended.message")

function TestInjectPartial(t)
  local msg = msys.core.ec_message_new(nil)
  msg:raw("Subject: x\r\n\r\nbody\r\n")
  local ok, err = msg:inject("a@example.com", "one@example.com, two@example.com, refused@example.com, four@example.com")
  if ok ~= nil or err ~= "spool full (the copies for the first 2 of 4 recipients were injected)" then
    t:error("inject = " .. tostring(ok) .. ", " .. tostring(err))
  end
end
