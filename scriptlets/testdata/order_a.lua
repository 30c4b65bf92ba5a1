local m = {}
function m:smpp_handle_DR_negative(bucket, msgid)
  print("order_a saw " .. bucket .. "/" .. msgid)
  return msys.smpp.SMPP_CONTINUE
end
msys.registerModule("order_a", m)
