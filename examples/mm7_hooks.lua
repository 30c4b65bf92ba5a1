-- MM7 retry policy: the behaviour of Momentum's documented MM7 hook example.
-- A failed MMS is re-routed to an SMPP domain with a fixed sender and the
-- stored copy removed; a delivered one just removes the stored copy.
require("msys.core")
require("msys.mms")
require("msys.mstore")
require("msys.extended.message")

local hooks = {}

function hooks:mm7_handle_DR_negative(trx, bucket, msgid)
  print("QA: MM7 " .. trx.status .. " for " .. trx.recipient .. "; re-route " .. msgid .. " stored in " .. bucket)
  local msg = msys.mstore.load(bucket, msgid)
  if msg == nil then
    print("QA: Failed to load message from mstore!")
    return msys.mms.MM7_DELIVERED
  end
  msg:inject("delivery_failure@test.com", "12405678910@smpp.example.com")
  msys.mstore.delete(bucket, msgid)
  return msys.mms.MM7_DELIVERED -- handled: no bounce to the sender
end

function hooks:mm7_handle_DR_positive(trx, bucket, msgid)
  print("QA: MM7 " .. trx.status .. " by " .. trx.recipient .. "; delete " .. msgid .. " stored in " .. bucket)
  msys.mstore.delete(bucket, msgid)
  return msys.mms.MM7_CONTINUE
end

msys.registerModule("mm7_hooks", hooks)
