-- msys.mstore, msys.smpp and msys.mms as scripts see them.

function TestConstants(t)
  local want = {
    {msys.mstore.MSTORE_CONTINUE, 0}, {msys.mstore.MSTORE_DONE, 1},
    {msys.smpp.SMPP_CONTINUE, 0}, {msys.smpp.SMPP_DELIVERED, 3},
    {msys.mms.MM7_CONTINUE, 0}, {msys.mms.MM7_DELIVERED, 3},
  }
  for i, p in ipairs(want) do
    if p[1] ~= p[2] then t:error("constant " .. i .. " is " .. tostring(p[1]) .. ", want " .. p[2]) end
  end
  if require("msys.mstore") ~= msys.mstore or require("msys.smpp") ~= msys.smpp then
    t:error("require must return the namespace table")
  end
end

function TestSaveLoadDelete(t)
  local msg = msys.core.ec_message_new(nil)
  msg:context_set(msys.core.ECMESS_CTX_MESS, "campaign", "spring")
  local ok, err = msys.mstore.save(msg, "MADR-12345", "id:with/odd chars")
  if ok ~= true then t:fatal("save failed: " .. tostring(err)) end

  local back = msys.mstore.load("MADR-12345", "id:with/odd chars")
  if back == nil then t:fatal("load returned nil after save") end
  if back:context_get(msys.core.ECMESS_CTX_MESS, "campaign") ~= "spring" then
    t:error("the message context did not survive the store")
  end
  if msys.type(back) ~= "msys.core:_ec_message" then t:error("load must return an ec_message, got " .. msys.type(back)) end

  if msys.mstore.delete("MADR-12345", "id:with/odd chars") ~= true then t:error("delete of a stored message must return true") end
  if msys.mstore.delete("MADR-12345", "id:with/odd chars") ~= false then t:error("delete of a missing message must return false") end
  if msys.mstore.load("MADR-12345", "id:with/odd chars") ~= nil then t:error("load after delete must return nil") end
end

function TestSegmentIdsNameTheirMessage(t)
  local msg = msys.mstore.load("MADR-12345", "seg2")
  if msg == nil then t:fatal("a further segment's id must load its message") end
  if msg:mailfrom() ~= "a@example.com" or msg:header("Subject")[1] ~= "long" then
    t:error("seg2 loaded something else: " .. tostring(msg:mailfrom()))
  end
  if msys.mstore.delete("MADR-12345", "seg2") ~= true then t:error("delete by a segment id must delete the message") end
  if msys.mstore.load("MADR-12345", "seg1") ~= nil or msys.mstore.load("MADR-12345", "seg2") ~= nil then
    t:error("the message and its aliases must all be gone")
  end
end

function TestReceiptMarkersAreNoMessages(t)
  if msys.mstore.load("MADR-12345", "done1") ~= nil then
    t:error("load of a key whose receipt was handled (a receipt marker) must return nil")
  end
  if msys.mstore.delete("MADR-12345", "done1") ~= false then
    t:error("delete of a receipt marker must return false: there is no message")
  end
end

function TestInjectGoesToTheSpool(t)
  local msg = msys.core.ec_message_new(nil)
  msg:context_set(msys.core.ECMESS_CTX_MESS, "marker", "injected-once")
  if msys.mstore.inject(msg) ~= true then t:error("inject must return true") end
end

function TestBadArguments(t)
  local ok, err = pcall(msys.mstore.save, "not a message", "B", "k")
  if ok or not string.find(err, "bad argument #1 to '?' (ec_message expected, got string)", 1, true) then
    t:error("save with a string: " .. tostring(err))
  end
  ok, err = pcall(msys.mstore.load, "B")
  if ok or not string.find(err, "bad argument #2 to '?' (string expected, got no value)", 1, true) then
    t:error("load without msgid: " .. tostring(err))
  end
  -- Numbers are keys as PUC formats them.
  local msg = msys.core.ec_message_new(nil)
  if msys.mstore.save(msg, "MADR-1", 12345) ~= true then t:error("numeric msgid") end
  if msys.mstore.load("MADR-1", "12345") == nil then t:error("numeric msgid must be stored as '12345'") end
end
