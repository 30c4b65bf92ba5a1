-- msys.mobility is msys.smpp's old name.

function TestSameAsSMPP(t)
  local m = require("msys.mobility")
  if m.SMPP_CONVERT_CONT ~= msys.smpp.SMPP_CONVERT_CONT or m.SMPP_DELIVERED ~= msys.smpp.SMPP_DELIVERED then
    t:error("constants differ")
  end
  if type(m.smpp_read_msg_text_blob) ~= "function" then t:error("functions missing") end
end
