-- SMPP retry policy: the behaviour of Momentum's documented SMPP hook example.
-- A submitted SMS is kept in the mstore until its delivery receipt arrives.
-- A failed delivery is re-routed to an e-mail address and the stored copy
-- removed; a successful one just removes the stored copy.
require("msys.core")
require("msys.smpp")
require("msys.mstore")
require("msys.extended.message")

local hooks = {}

-- Where a failed SMS goes instead.
local FALLBACK_RCPT = "john@example.messagesystems.com"

function hooks:smpp_store_submit(msg, bucket, msgid)
  print("QA: SMS message ", msgid, " stored in ", bucket)
  return msys.mstore.MSTORE_CONTINUE -- let the host store it
end

function hooks:smpp_handle_DR_negative(bucket, msgid)
  print("QA: negative SMPP receipt; forward ", msgid, " stored in ", bucket)
  local msg = msys.mstore.load(bucket, msgid)
  if msg == nil then
    print("QA: Failed to load message from mstore!")
    return msys.smpp.SMPP_DELIVERED
  end
  msg:inject(msg:mailfrom(), FALLBACK_RCPT)
  msys.mstore.delete(bucket, msgid)
  return msys.smpp.SMPP_DELIVERED -- handled: no bounce to the sender
end

function hooks:smpp_handle_DR_positive(bucket, msgid)
  print("QA: positive SMPP receipt; delete ", msgid, " stored in ", bucket)
  msys.mstore.delete(bucket, msgid)
  return msys.smpp.SMPP_CONTINUE
end

msys.registerModule("smpp_hooks", hooks)
