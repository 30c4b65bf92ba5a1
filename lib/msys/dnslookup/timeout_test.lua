-- A server that never answers: each attempt times out, then nil and an error.

function TestSilentServerTimesOut(t)
  local r, err = msys.dnsLookup("www.example.test", "A")
  if r ~= nil then t:fatal("a silent server gave results") end
  if not string.find(tostring(err), "timeout", 1, true) then t:error("want a timeout error, got " .. tostring(err)) end
end
