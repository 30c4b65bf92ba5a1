local m = {}
function m:smpp_handle_DR_negative(bucket, msgid)
  print("order_b decides")
  msys.mstore.delete(bucket, msgid)
  return msys.smpp.SMPP_DELIVERED
end
msys.registerModule("order_b", m)
