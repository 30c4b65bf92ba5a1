local helper = require("helper_mod")
local m = {}
function m:smpp_handle_DR_positive(bucket, msgid)
  print(helper.describe(msgid))
  return 0
end
msys.registerModule("uses_helper", m)
