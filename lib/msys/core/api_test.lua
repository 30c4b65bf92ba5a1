-- Lua tests of msys.core: constants, clock, ec_string, ec_message_new,
-- msys.type and the msg methods msys.core provides.

local core = require("msys.core")

local function eq(t, got, want, what)
  if got ~= want then
    t:error(string.format("%s: got %s (%s), want %s (%s)", what, tostring(got), type(got), tostring(want), type(want)))
  end
end

local function raises(t, f, pattern, what)
  local ok, err = pcall(f)
  if ok then
    t:error(what .. ": no error")
  elseif not string.find(tostring(err), pattern, 1, true) then
    t:error(what .. ": error " .. tostring(err) .. " lacks " .. pattern)
  end
end

function TestRequireIsGlobal(t)
  eq(t, core, msys.core, "require result")
end

function TestConstants(t)
  eq(t, core.ECMESS_CTX_MESS, 0, "ECMESS_CTX_MESS")
  eq(t, core.ECMESS_CTX_CONN, 1, "ECMESS_CTX_CONN")
  eq(t, core.VALIDATE_CONT, 0, "VALIDATE_CONT")
  local groups = {
    {"VALIDATE_CONT", "VALIDATE_DONE", "VALIDATE_AGAIN"},
    {"ECMESS_CTX_MESS", "ECMESS_CTX_CONN"},
    {"VCTX_MESS", "VCTX_CONN"},
    {"EC_MSG_ENV_FROM", "EC_MSG_ENV_TO", "EC_MSG_ENV_COMPLETE"},
    {"EC_MIME_TE_7BIT", "EC_MIME_TE_8BIT", "EC_MIME_TE_BASE64", "EC_MIME_TE_QUOTED_PRINTABLE"},
    {"FAILED", "DELAYED", "DELIVERED", "RELAYED", "EXPANDED"},
    {"EC_AUTH_OK", "EC_AUTH_FAIL", "EC_AUTH_ERROR"},
    {"O_CREAT", "O_APPEND", "O_WRONLY", "O_RDONLY"},
    {"P_SMTP", "P_ESMTP"},
  }
  for _, g in ipairs(groups) do
    local seen = {}
    for _, name in ipairs(g) do
      local v = core[name]
      if type(v) ~= "number" then
        t:error(name .. " is not a number")
      elseif seen[v] then
        t:error(name .. " has the same value as " .. seen[v])
      else
        seen[v] = name
      end
    end
  end
  -- The envelope flags are bits that OR together.
  eq(t, core.EC_MSG_ENV_COMPLETE % 2 == 0 and core.EC_MSG_ENV_TO % 2 == 0, true, "envelope bits")
end

function TestGetNowTs(t)
  eq(t, core.get_now_ts(), 1795683600, "get_now_ts")
end

function TestStringNew(t)
  local s = core.string_new()
  eq(t, tostring(s), "", "empty")
  eq(t, #s, 0, "#empty")
  s:set("abc")
  eq(t, tostring(s), "abc", "set")
  eq(t, s:write("defgh", 2), 2, "write result")
  eq(t, tostring(s), "abcde", "write")
  s:write("!")
  eq(t, #s, 6, "#s")
  eq(t, s .. "x", "abcde!x", "concat right")
  eq(t, "x" .. s, "xabcde!", "concat left")
  eq(t, 1 .. s, "1abcde!", "concat number")
  local s2 = core.string_new()
  s2:set("abcde!")
  eq(t, s == s2, true, "__eq")
  s:set(42)
  eq(t, tostring(s), "42", "set number")
  raises(t, function() s:set(nil) end, "bad argument #1 to 'set' (string expected, got nil)", "set(nil)")
  raises(t, function() s:write() end, "bad argument #1 to 'write' (string expected, got no value)", "write()")
  raises(t, function() s.set(nil, "x") end, "bad argument #1 to 'set' (ec_string expected, got nil)", "bad self")
  raises(t, function() return s .. {} end, "attempt to concatenate", "concat table")
  eq(t, msys.type(s), "msys.core:_ec_string", "msys.type")
end

function TestEcMessageNew(t)
  local msg = core.ec_message_new(nil)
  eq(t, msys.type(msg), "msys.core:_ec_message", "msys.type")
  eq(t, msg:get_message_size(), 0, "empty size")
  local other = core.ec_message_new(nil)
  eq(t, msg == other, false, "distinct messages")
  eq(t, msg == msg, true, "same message")
  if not string.find(tostring(msg), "^ec_message: ") then
    t:error("tostring(msg) = " .. tostring(msg))
  end
end

function TestMsysType(t)
  eq(t, msys.type("x"), "string", "string")
  eq(t, msys.type(1), "number", "number")
  eq(t, msys.type(nil), "nil", "nil")
  eq(t, msys.type({}), "table", "table")
  eq(t, msys.type(print), "function", "function")
  raises(t, function() msys.type() end, "bad argument #1 to 'type' (value expected)", "no arg")
end

function TestContext(t)
  local msg = core.ec_message_new(nil)
  local M, C = core.ECMESS_CTX_MESS, core.ECMESS_CTX_CONN
  eq(t, msg:context_get(M, "k"), "", "missing get")
  eq(t, msg:context_exists(M, "k"), 0, "missing exists")
  local n, v = msg:context_exists_and_get(M, "k")
  eq(t, n, 0, "missing exists_and_get #1")
  eq(t, v, nil, "missing exists_and_get #2")
  eq(t, msg:context_delete(M, "k"), 0, "missing delete")

  msg:context_set(M, "k", "v")
  msg:context_set(C, "k", 12)
  eq(t, msg:context_get(M, "k"), "v", "mess get")
  eq(t, msg:context_get(C, "k"), "12", "conn get is a string")
  eq(t, msg:context_exists(C, "k"), 1, "exists")
  n, v = msg:context_exists_and_get(C, "k")
  eq(t, n, 1, "exists_and_get #1")
  eq(t, v, "12", "exists_and_get #2")
  eq(t, msg:context_delete(M, "k"), 1, "delete")
  eq(t, msg:context_exists(M, "k"), 0, "deleted")
  eq(t, msg:context_get(C, "k"), "12", "conn untouched")
  msg:context_set(M, "f", 1.5)
  eq(t, msg:context_get(M, "f"), "1.5", "float stored as PUC prints it")

  raises(t, function() msg:context_set(7, "k", "v") end, "bad argument #1 to 'context_set'", "bad selector")
  raises(t, function() msg:context_get(M) end, "bad argument #2 to 'context_get' (string expected, got no value)", "no key")
  raises(t, function() msg:context_set(M, "k", nil) end, "bad argument #3 to 'context_set' (string expected, got nil)", "nil value")
  raises(t, function() msg:context_set(M, "k", {}) end, "string expected, got table", "table value")
  raises(t, function() msg.context_get("x", M, "k") end, "bad argument #1 to 'context_get' (ec_message expected, got string)", "bad self")
end

function TestDeliveryMethodAndMCMT(t)
  local msg = core.ec_message_new(nil)
  eq(t, msg:get_delivery_method(), "esmtp", "default method")
  eq(t, msg:is_mcmt(), false, "default mcmt")
  msg:context_set(core.ECMESS_CTX_MESS, "msyshost:delivery_method", "mm7")
  msg:context_set(core.ECMESS_CTX_MESS, "msyshost:mcmt", "1")
  eq(t, msg:get_delivery_method(), "mm7", "method")
  eq(t, msg:is_mcmt(), true, "mcmt")
end

function TestPanicIsContained(t)
  local ok, err = pcall(msys.core_test.boom)
  eq(t, ok, false, "pcall")
  if not string.find(err, "internal error in 'boom': kaboom", 1, true) then
    t:error("error text: " .. tostring(err))
  end
  -- The state keeps working.
  eq(t, core.string_new():write("x"), 1, "state usable after a panic")
end

function TestIoWrapperOpen(t)
  local dir = os.getenv("MSYSHOST_TEST_DIR")
  if not dir then
    t:skip("MSYSHOST_TEST_DIR not set (run from the Go test)")
  end
  local path = dir .. "/log.csv"
  local FLAGS = core.O_CREAT + core.O_APPEND + core.O_WRONLY
  -- PUC Lua 5.1 reads the literal 0640 as decimal 640.
  local h = core.io_wrapper_open(path, FLAGS, 640)
  if not h then
    t:fatal("open failed")
  end
  eq(t, msys.type(h), "msys.core:_io_object", "msys.type")
  local line = "This,Is,A,Test,Line\n"
  eq(t, h:write(line, #line), #line, "write")
  eq(t, h:write("abcdef", 3), 3, "write len")
  eq(t, h:close(), true, "close")
  raises(t, function() h:write("x") end, "closed io_object", "write after close")

  local r = core.io_wrapper_open(path, core.O_RDONLY, 0)
  eq(t, r:read(), "This,Is,A,Test,Line", "read line")
  eq(t, r:read(2), "ab", "read n")
  eq(t, r:read("*a"), "c", "read all")
  eq(t, r:read(), nil, "eof")
  eq(t, r:seek("set", 5), 5, "seek")
  eq(t, r:read("*l"), "Is,A,Test,Line", "read after seek")
  eq(t, r:seek("end"), 23, "seek end")
  raises(t, function() r:read("*x") end, "bad argument #1 to 'read' (invalid format)", "bad format")
  raises(t, function() r:read(-1) end, "bad argument #1 to 'read' (non-negative byte count expected)", "negative count")
  r:seek("set", 0)
  -- A count far beyond memory reads what the file holds.
  eq(t, r:read(1e15), "This,Is,A,Test,Line\nabc", "huge count")
  eq(t, r:read(4e10), nil, "huge count at eof")
  eq(t, r:read(0), "", "zero count")
  r:close()

  local none, err = core.io_wrapper_open(dir .. "/missing/file", core.O_RDONLY, 0)
  eq(t, none, nil, "missing file")
  if type(err) ~= "string" then t:error("no error text") end
  raises(t, function() core.io_wrapper_open(nil, 0, 0) end, "bad argument #1 to 'io_wrapper_open' (string expected, got nil)", "nil name")
end

function TestVctx(t)
  local msg = core.ec_message_new(nil)
  local vctx = msys.core_test.vctx(msg)
  eq(t, msys.type(vctx), "msys.core:_validate_context", "msys.type")
  eq(t, vctx:get(core.VCTX_MESS, "k"), nil, "missing")
  vctx:set(core.VCTX_MESS, "k", "v")
  vctx:set(core.VCTX_CONN, "n", 3)
  vctx:set(core.VCTX_CONN, "b", true)
  eq(t, vctx:get(core.VCTX_MESS, "k"), "v", "get")
  eq(t, vctx:get(core.VCTX_CONN, "n"), "3", "number kept as a string")
  eq(t, vctx:get(core.VCTX_CONN, "b"), "true", "boolean")
  eq(t, msg:context_get(core.ECMESS_CTX_MESS, "k"), "v", "shared with the message context")
  vctx:set(core.VCTX_MESS, "k", nil)
  eq(t, msg:context_exists(core.ECMESS_CTX_MESS, "k"), 0, "nil unsets")
  -- Any value is accepted, kept as its string form.
  local tbl = {}
  vctx:set(core.VCTX_MESS, "k", tbl)
  eq(t, vctx:get(core.VCTX_MESS, "k"), tostring(tbl), "table value")
  vctx:set(core.VCTX_MESS, "k", core.string_new())
  eq(t, type(vctx:get(core.VCTX_MESS, "k")), "string", "userdata value")
  vctx:set(core.VCTX_MESS, "k", print)
  eq(t, msg:context_get(core.ECMESS_CTX_MESS, "k"), tostring(print), "function value")
  raises(t, function() vctx:get(9, "k") end, "bad argument #1 to 'get'", "bad selector")
  vctx:set_code(550, "no thanks")
  vctx:set_code("451", "later")
  raises(t, function() vctx:set_code(99, "x") end, "bad argument #1 to 'set_code'", "bad code")
  raises(t, function() vctx:set_code(299, "x") end, "SMTP reply code expected (2yz, 4yz or 5yz, y 0-5), got 299", "second digit past 5")
  raises(t, function() vctx:set_code(800, "x") end, "got 800", "no such class")
  raises(t, function() vctx:set_code(354, "x") end, "got 354", "an intermediate reply")
  raises(t, function() vctx:disconnect(299, "x") end, "got 299", "disconnect checks the code too")
  vctx:disconnect(421, "bye")
  raises(t, function() vctx:disconnect() end, "bad argument #1 to 'disconnect' (number expected, got no value)", "no code")
  local free = msys.core_test.vctx()
  free:set(core.VCTX_CONN, "x", "y")
  eq(t, free:get(core.VCTX_CONN, "x"), "y", "vctx without a message")
end

function TestContextFunctions(t)
  local msg = core.ec_message_new(nil)
  local M = core.ECMESS_CTX_MESS
  core.ec_message_context_set(msg, M, "SMS_Destination_Address", "5551234")
  core.ec_message_context_set(msg, M, "b", 2)
  eq(t, core.ec_message_context_get(msg, M, "SMS_Destination_Address"), "5551234", "get")
  eq(t, msg:context_get(M, "b"), "2", "the method sees the same context")
  eq(t, core.ec_message_context_get(msg, M, "missing"), "", "missing key")
  eq(t, core.ec_message_context_exists(msg, M, "b"), 1, "exists")
  eq(t, core.ec_message_context_delete(msg, M, "b"), 1, "delete")
  eq(t, core.ec_message_context_exists(msg, M, "b"), 0, "deleted")
  core.ec_message_context_set(msg, M, "a", "1")
  core.ec_message_context_set(msg, M, "c", "3")
  local keys, k = {}, core.ec_message_context_firstkey(msg, M)
  while k != nil do
    keys[#keys + 1] = k
    core.ec_message_context_set(msg, M, k, "seen") -- setting while walking visits each key once
    k = core.ec_message_context_nextkey(msg, M, k)
  end
  eq(t, table.concat(keys, ","), "SMS_Destination_Address,a,c", "walk in byte order")
  eq(t, core.ec_message_context_firstkey(msg, core.ECMESS_CTX_CONN), nil, "empty context")
  raises(t, function() core.ec_message_context_get("x", M, "k") end, "bad argument #1 to 'ec_message_context_get' (ec_message expected, got string)", "not a message")
end

function TestBlobjects(t)
  local msg = core.ec_message_new(nil)
  eq(t, core.ec_message_blobject_get(msg, "MO_Email_Text"), nil, "no blob")
  msg:context_set(core.ECMESS_CTX_MESS, "MO_Email_Text", "hello from SMS")
  local b = core.ec_message_blobject_get(msg, "MO_Email_Text")
  eq(t, msys.type(b), "msys.core:_ec_blobject", "class")
  eq(t, tostring(msys.cast(b.self, "msys.core:_ec_string")), "hello from SMS", "blob text as ec_string")
  core.ec_blobject_delref(b)
end

function TestStringwrite(t)
  local s = core.string_new()
  core.stringwrite(s, "789-4560-321", 12)
  core.stringwrite(s, "xyz", 1)
  core.stringwrite(s, "!")
  eq(t, tostring(s), "789-4560-321x!", "appends")
  raises(t, function() core.stringwrite(s, "ab", 3) end, "bad argument #3 to 'stringwrite' (length out of range)", "too long")
end

function TestDicts(t)
  local d = msys.core_test.dict()
  local out = core.string_new()
  core.dict_stringprint(out, d, 0, "  ")
  eq(t, tostring(out), "  RFC2822Address: a@example.com\n  Subject: hi\n", "stringprint")
  eq(t, core.dict_key_delete(d, "RFC2822Address"), true, "delete")
  eq(t, core.dict_key_delete(d, "RFC2822Address"), false, "delete again")
  core.dict_add_key_value(d, "RFC2822Address", "fred@example.com")
  eq(t, core.dict_get(d, "RFC2822Address"), "fred@example.com", "add")
  local it = core.dict_iter2(d)
  local seen = {}
  while true do
    local rc, k, v = core.dict_next(d, it)
    if rc == 0 then break end
    seen[#seen + 1] = k .. "=" .. v
  end
  core.dict_iter2_free(d, it)
  eq(t, table.concat(seen, ";"), "Subject=hi;RFC2822Address=fred@example.com", "iteration in insertion order")
end

function TestDoubleList(t)
  local l = msys.core_test.list()
  local first = core.ec_double_list_shift(l)
  eq(t, msys.type(first), "msys.core:_ec_string", "items keep their class")
  eq(t, tostring(first), "first", "first item")
  eq(t, core.ec_double_list_shift(l), "second", "second item")
  eq(t, core.ec_double_list_shift(l), nil, "empty")
end

function TestMoreConstants(t)
  for _, name in ipairs({ "P_SMPP", "P_MM7", "EC_HOOK_CONT", "EC_HOOK_DONE", "EC_HOOK_RETRY" }) do
    if type(core[name]) ~= "number" then t:error(name .. " missing") end
  end
  eq(t, core.EC_HOOK_CONT, 0, "EC_HOOK_CONT")
end

function TestProtocols(t)
  eq(t, core.protocol_string(core.P_MM7), "MM7", "MM7")
  eq(t, core.protocol_string(core.P_ESMTP), "ESMTP", "ESMTP")
  eq(t, core.protocol_string(99), "UNKNOWN", "unknown")
  local msg = core.ec_message_new(nil)
  eq(t, msg.recv_method, 0, "a message made by a script")
  msg:context_set(core.ECMESS_CTX_CONN, "msyshost:recv_method", "mm7")
  eq(t, msg.recv_method, core.P_MM7, "received over MM7")
end
