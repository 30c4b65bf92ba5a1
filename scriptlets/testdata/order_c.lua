local m = {}
function m:smpp_handle_DR_negative(bucket, msgid)
  print("order_c must never run")
  return 0
end
msys.registerModule("order_c", m)
