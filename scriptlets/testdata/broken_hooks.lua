-- Hooks that fail in every way a script can; the host must still run the
-- default action (bounce on a negative receipt).
local m = {}

function m:smpp_store_submit(msg, bucket, msgid)
  error("store hook exploded for " .. msgid)
end

function m:smpp_handle_DR_negative(bucket, msgid)
  while true do end -- runaway loop: the deadline ends it
end

function m:smpp_handle_DR_positive(bucket, msgid)
  return nil
end

msys.registerModule("broken_hooks", m)
