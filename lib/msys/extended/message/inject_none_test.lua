-- msg:inject on a host without an injector: nil and the error.
require("msys.extended.message")

function TestInjectNoInjector(t)
  local msg = msys.core.ec_message_new(nil)
  local ok, err = msg:inject("a@example.com", "b@example.com")
  if ok ~= nil or not string.find(err, "no injector", 1, true) then
    t:error("inject = " .. tostring(ok) .. ", " .. tostring(err))
  end
end
