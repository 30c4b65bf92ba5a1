-- msys.mstore over a store that fails: every call returns nil and why.

function TestFailuresAreReturned(t)
  local msg = msys.core.ec_message_new(nil)
  local calls = {
    save = function() return msys.mstore.save(msg, "MADR-1", "a") end,
    load = function() return msys.mstore.load("MADR-1", "a") end,
    delete = function() return msys.mstore.delete("MADR-1", "a") end,
  }
  for name, f in pairs(calls) do
    local v, err = f()
    if v ~= nil or err ~= "riak unreachable" then
      t:error(name .. " returned " .. tostring(v) .. ", " .. tostring(err))
    end
  end
end
