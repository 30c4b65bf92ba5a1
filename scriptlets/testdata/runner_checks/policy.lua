-- A small policy for the runner's self-checks: negative receipts re-route to
-- e-mail, positive ones delete the copy; both print.
local m = {}
function m:smpp_handle_DR_negative(bucket, msgid)
  local msg = msys.mstore.load(bucket, msgid)
  if msg then
    msg:inject(msg:mailfrom(), "john@example.com")
    msys.mstore.delete(bucket, msgid)
  end
  print("negative", msgid)
  return msys.smpp.SMPP_DELIVERED
end
function m:smpp_handle_DR_positive(bucket, msgid)
  msys.mstore.delete(bucket, msgid)
  print("positive", msgid)
  return msys.smpp.SMPP_CONTINUE
end
msys.registerModule("policy", m)
