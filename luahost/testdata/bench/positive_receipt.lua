-- The documented positive-receipt handler, dispatched N times by PUC Lua 5.1
-- itself: the baseline msyshost's Go -> Lua hook dispatch is compared with.
-- msys.mstore.delete is a Lua table removal here; print goes to stdout, which
-- the benchmark points at /dev/null. Usage: lua5.1 positive_receipt.lua N
local N = tonumber(arg[1]) or 1000000
local stored = {}
msys = { mstore = { delete = function(bucket, msgid)
  local b = stored[bucket]
  if b and b[msgid] then b[msgid] = nil return true end
  return false
end }, smpp = { SMPP_CONTINUE = 0 } }

local mod = {}
function mod:smpp_handle_DR_positive(bucket, msgid)
  print("QA: positive SMPP receipt; delete ", msgid, " stored in ", bucket)
  msys.mstore.delete(bucket, msgid)
  return msys.smpp.SMPP_CONTINUE
end

local start = os.clock()
for i = 1, N do
  local r = mod:smpp_handle_DR_positive("MADR-12345", "abc")
  if r ~= 0 then error("unexpected return") end
end
io.stderr:write(string.format("%.1f\n", (os.clock() - start) * 1e9 / N))
