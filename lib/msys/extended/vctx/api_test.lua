-- msys.extended.vctx: the session's recipient list and tarpit.

require("msys.extended.vctx")
local tv = require("test.vctx")

local function joined(list)
  local out = {}
  for i = 0, #list do out[#out + 1] = list[i] end
  return table.concat(out, " ")
end

function TestRecipients(t)
  local vctx = tv.new(false)
  local list = vctx:recipient_list()
  t:eq(list[0], "a@example.com", "the list starts at index 0")
  t:eq(joined(list), "a@example.com b@example.com", "walked from 0 to #list")
  vctx:add_recipient("c@example.com")
  vctx:add_recipient({ "d@example.com", "e@example.com" })
  t:eq(joined(vctx:recipient_list()), "a@example.com b@example.com c@example.com d@example.com e@example.com", "added")
  vctx:remove_recipient("B@EXAMPLE.COM")
  vctx:remove_recipient({ "d@example.com", "nobody@example.com" })
  t:eq(joined(vctx:recipient_list()), "a@example.com c@example.com e@example.com", "removed")
  t:eq(joined(vctx:recipient_list({ "x@example.com" })), "x@example.com", "replaced")
  t:eq(joined(vctx:recipient_list("y@example.com")), "y@example.com", "replaced by one address")
  vctx:tarpit(1.5)
end

function TestFinalList(t)
  local vctx = tv.new(true)
  local ok, err = pcall(vctx.add_recipient, vctx, "late@example.com")
  if ok or not string.find(err, "vctx:add_recipient: the recipient list is final", 1, true) then t:error(tostring(err)) end
  ok, err = pcall(vctx.remove_recipient, vctx, "a@example.com")
  if ok or not string.find(err, "the recipient list is final", 1, true) then t:error(tostring(err)) end
  t:eq(joined(vctx:recipient_list()), "a@example.com b@example.com", "still readable")
end

-- A huge hold does not wrap around to nothing (the SMTP session clamps it
-- to its own bound); NaN is no number of seconds.
function TestTarpitBounds(t)
  local vctx = tv.new(false)
  for _, s in ipairs({ 1e300, math.huge, 9.3e9 }) do
    vctx:tarpit(s)
    if not (tv.tarpit_of(vctx) > 1e9) then t:error(string.format("tarpit(%g) recorded %g s", s, tv.tarpit_of(vctx))) end
  end
  local ok, err = pcall(function() vctx:tarpit(0 / 0) end)
  if ok or not string.find(tostring(err), "bad argument #1 to 'tarpit'", 1, true) then t:error(tostring(err)) end
  ok, err = pcall(vctx.tarpit, vctx, -1)
  if ok then t:error("a negative tarpit accepted") end
end
