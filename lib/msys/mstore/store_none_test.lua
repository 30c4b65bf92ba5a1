-- msys.mstore in a host assembled without a store or a spool.

function TestNoStore(t)
  local ok, err = pcall(msys.mstore.load, "MADR-1", "a")
  if ok or not string.find(err, "msys.mstore: no message store is configured", 1, true) then
    t:error("load without a store: " .. tostring(err))
  end
  local v, why = msys.mstore.inject(msys.core.ec_message_new(nil))
  if v ~= nil or why ~= "msys.mstore.inject: no spool is configured" then
    t:error("inject without a spool: " .. tostring(v) .. ", " .. tostring(why))
  end
end
