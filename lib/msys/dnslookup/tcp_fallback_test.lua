-- With dns_fallback_to_tcp a truncated UDP answer is asked again over TCP.

function TestTruncatedAnswerRetriedOverTCP(t)
  local r, err = msys.dnsLookup("big.example.test", "TXT")
  if not r then t:fatal(tostring(err)) end
  if #r ~= 12 then t:error("want all 12 TXT records over TCP, got " .. #r) end
  if string.sub(r[12], 1, 2) ~= "11" then t:error("records out of order: " .. r[12]) end
end
