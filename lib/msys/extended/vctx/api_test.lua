-- Lua tests of msys.extended.vctx.

local mod = require("msys.extended.vctx")

local function eq(t, got, want, what)
  if got ~= want then
    t:error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)))
  end
end

local function raises(t, f, want, what)
  local ok, err = pcall(f)
  if ok then
    t:error(what .. ": no error")
  elseif not string.find(err, want, 1, true) then
    t:error(what .. ": error " .. err .. " does not contain " .. want)
  end
end

-- the list as Momentum's example walks it: from 0 to #t
local function joined(list)
  local out = {}
  for i = 0, #list do out[#out + 1] = list[i] end
  return table.concat(out, " ")
end

function TestRequire(t)
  eq(t, mod, true, "require result")
end

function TestRecipientList(t)
  local v = vctx_test.new("data", "validate_data", {"a@example.com", "b@example.com"})
  eq(t, joined(v:recipient_list()), "a@example.com b@example.com", "list from index 0")
  v:add_recipient("c@example.com")
  v:add_recipient("A@Example.com") -- already there, other case
  eq(t, joined(v:recipient_list()), "a@example.com b@example.com c@example.com", "added once")
  v:remove_recipient({"b@example.com"})
  eq(t, joined(v:recipient_list()), "a@example.com c@example.com", "removed by table")
  raises(t, function() v:add_recipient("no-domain") end, "bad argument #1 to 'add_recipient' (address expected", "not an address")
  raises(t, function() v:add_recipient(3) end, "string or table expected, got number", "not a string")
  raises(t, function() v:add_recipient({"x@y", 4}) end, "address expected at [2], got number", "bad table item")
end

function TestRecipientListReplaced(t)
  local v = vctx_test.new("replaced", "validate_data_spool", {"a@example.com"})
  local l = v:recipient_list({[0] = "x@example.com", "y@example.com"})
  eq(t, joined(l), "x@example.com y@example.com", "replaced from a 0-based table")
  eq(t, joined(v:recipient_list("<z@example.com>")), "z@example.com", "replaced by one address, brackets dropped")
  v:remove_recipient("z@example.com")
  eq(t, #v:recipient_list(), 0, "empty list")
  eq(t, v:recipient_list()[0], nil, "nothing at 0")
end

function TestPhases(t)
  local final = vctx_test.new("final", "validate_data_spool_each_rcpt", {"a@example.com"}, true)
  eq(t, joined(final:recipient_list()), "a@example.com", "reading a final list")
  raises(t, function() final:add_recipient("b@example.com") end, "add_recipient: the recipient list is final in validate_data_spool_each_rcpt", "add after final")
  raises(t, function() final:remove_recipient("a@example.com") end, "the recipient list is final", "remove after final")
  raises(t, function() final:recipient_list({"b@example.com"}) end, "the recipient list is final", "set after final")
  local early = vctx_test.new("early", "validate_mailfrom", nil)
  raises(t, function() early:add_recipient("b@example.com") end, "no recipient list in validate_mailfrom", "add before RCPT")
  local rcpt = vctx_test.new("rcpt", "validate_rcptto", {"a@example.com"})
  raises(t, function() rcpt:recipient_list() end, "not available in validate_rcptto", "list in rcptto")
  rcpt:add_recipient("b@example.com")
end

function TestTarpit(t)
  local v = vctx_test.new("tarpit", "validate_connect", nil)
  v:tarpit(1)
  v:tarpit("0.5")
  raises(t, function() v:tarpit(-1) end, "must not be negative", "negative")
  raises(t, function() v:tarpit() end, "number expected, got no value", "missing")
end
