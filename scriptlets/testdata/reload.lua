local m = {}
function m:smpp_handle_DR_positive(bucket, msgid)
  print("version 1 handled " .. msgid)
  return msys.smpp.SMPP_CONTINUE
end
msys.registerModule("reload", m)
