-- Lua tests of msys.core: constants, clock, ec_string, ec_message_new,
-- msys.type and the msg methods msys.core provides.

local core = require("msys.core")

function TestRequireIsGlobal(t)
  t:eq(core, msys.core, "require result")
end

function TestConstants(t)
  t:eq(core.ECMESS_CTX_MESS, 0, "ECMESS_CTX_MESS")
  t:eq(core.ECMESS_CTX_CONN, 1, "ECMESS_CTX_CONN")
  t:eq(core.VALIDATE_CONT, 0, "VALIDATE_CONT")
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
  t:eq(core.EC_MSG_ENV_COMPLETE % 2 == 0 and core.EC_MSG_ENV_TO % 2 == 0, true, "envelope bits")
end

function TestGetNowTs(t)
  t:eq(core.get_now_ts(), 1795683600, "get_now_ts")
end

function TestStringNew(t)
  local s = core.string_new()
  t:eq(tostring(s), "", "empty")
  t:eq(#s, 0, "#empty")
  s:set("abc")
  t:eq(tostring(s), "abc", "set")
  t:eq(s:write("defgh", 2), 2, "write result")
  t:eq(tostring(s), "abcde", "write")
  s:write("!")
  t:eq(#s, 6, "#s")
  t:eq(s .. "x", "abcde!x", "concat right")
  t:eq("x" .. s, "xabcde!", "concat left")
  t:eq(1 .. s, "1abcde!", "concat number")
  local s2 = core.string_new()
  s2:set("abcde!")
  t:eq(s == s2, true, "__eq")
  s:set(42)
  t:eq(tostring(s), "42", "set number")
  t:raises(function() s:set(nil) end, "bad argument #1 to 'set' (string expected, got nil)", "set(nil)")
  t:raises(function() s:write() end, "bad argument #1 to 'write' (string expected, got no value)", "write()")
  t:raises(function() s.set(nil, "x") end, "bad argument #1 to 'set' (ec_string expected, got nil)", "bad self")
  t:raises(function() return s .. {} end, "attempt to concatenate", "concat table")
  t:eq(msys.type(s), "msys.core:_ec_string", "msys.type")
end

function TestEcMessageNew(t)
  local msg = core.ec_message_new(nil)
  t:eq(msys.type(msg), "msys.core:_ec_message", "msys.type")
  t:eq(msg:get_message_size(), 0, "empty size")
  local other = core.ec_message_new(nil)
  t:eq(msg == other, false, "distinct messages")
  t:eq(msg == msg, true, "same message")
  if not string.find(tostring(msg), "^ec_message: ") then
    t:error("tostring(msg) = " .. tostring(msg))
  end
end

function TestMsysType(t)
  t:eq(msys.type("x"), "string", "string")
  t:eq(msys.type(1), "number", "number")
  t:eq(msys.type(nil), "nil", "nil")
  t:eq(msys.type({}), "table", "table")
  t:eq(msys.type(print), "function", "function")
  t:raises(function() msys.type() end, "bad argument #1 to 'type' (value expected)", "no arg")
end

function TestContext(t)
  local msg = core.ec_message_new(nil)
  local M, C = core.ECMESS_CTX_MESS, core.ECMESS_CTX_CONN
  t:eq(msg:context_get(M, "k"), "", "missing get")
  t:eq(msg:context_exists(M, "k"), 0, "missing exists")
  local n, v = msg:context_exists_and_get(M, "k")
  t:eq(n, 0, "missing exists_and_get #1")
  t:eq(v, nil, "missing exists_and_get #2")
  t:eq(msg:context_delete(M, "k"), 0, "missing delete")

  msg:context_set(M, "k", "v")
  msg:context_set(C, "k", 12)
  t:eq(msg:context_get(M, "k"), "v", "mess get")
  t:eq(msg:context_get(C, "k"), "12", "conn get is a string")
  t:eq(msg:context_exists(C, "k"), 1, "exists")
  n, v = msg:context_exists_and_get(C, "k")
  t:eq(n, 1, "exists_and_get #1")
  t:eq(v, "12", "exists_and_get #2")
  t:eq(msg:context_delete(M, "k"), 1, "delete")
  t:eq(msg:context_exists(M, "k"), 0, "deleted")
  t:eq(msg:context_get(C, "k"), "12", "conn untouched")
  msg:context_set(M, "f", 1.5)
  t:eq(msg:context_get(M, "f"), "1.5", "float stored as PUC prints it")

  t:raises(function() msg:context_set(7, "k", "v") end, "bad argument #1 to 'context_set'", "bad selector")
  t:raises(function() msg:context_get(M) end, "bad argument #2 to 'context_get' (string expected, got no value)", "no key")
  t:raises(function() msg:context_set(M, "k", nil) end, "bad argument #3 to 'context_set' (string expected, got nil)", "nil value")
  t:raises(function() msg:context_set(M, "k", {}) end, "string expected, got table", "table value")
  t:raises(function() msg.context_get("x", M, "k") end, "bad argument #1 to 'context_get' (ec_message expected, got string)", "bad self")
end

function TestDeliveryMethodAndMCMT(t)
  local msg = core.ec_message_new(nil)
  t:eq(msg:get_delivery_method(), "esmtp", "default method")
  t:eq(msg:is_mcmt(), false, "default mcmt")
  msg:context_set(core.ECMESS_CTX_MESS, "msyshost:delivery_method", "mm7")
  msg:context_set(core.ECMESS_CTX_MESS, "msyshost:mcmt", "1")
  t:eq(msg:get_delivery_method(), "mm7", "method")
  t:eq(msg:is_mcmt(), true, "mcmt")
end

function TestPanicIsContained(t)
  local ok, err = pcall(msys.core_test.boom)
  t:eq(ok, false, "pcall")
  if not string.find(err, "internal error in 'boom': kaboom", 1, true) then
    t:error("error text: " .. tostring(err))
  end
  -- The state keeps working.
  t:eq(core.string_new():write("x"), 1, "state usable after a panic")
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
  t:eq(msys.type(h), "msys.core:_io_object", "msys.type")
  local line = "This,Is,A,Test,Line\n"
  t:eq(h:write(line, #line), #line, "write")
  t:eq(h:write("abcdef", 3), 3, "write len")
  t:eq(h:close(), true, "close")
  t:raises(function() h:write("x") end, "closed io_object", "write after close")

  local r = core.io_wrapper_open(path, core.O_RDONLY, 0)
  t:eq(r:read(), "This,Is,A,Test,Line", "read line")
  t:eq(r:read(2), "ab", "read n")
  t:eq(r:read("*a"), "c", "read all")
  t:eq(r:read(), nil, "eof")
  t:eq(r:seek("set", 5), 5, "seek")
  t:eq(r:read("*l"), "Is,A,Test,Line", "read after seek")
  t:eq(r:seek("end"), 23, "seek end")
  t:raises(function() r:read("*x") end, "bad argument #1 to 'read' (invalid format)", "bad format")
  t:raises(function() r:read(-1) end, "bad argument #1 to 'read' (non-negative byte count expected)", "negative count")
  r:seek("set", 0)
  -- A count far beyond memory reads what the file holds.
  t:eq(r:read(1e15), "This,Is,A,Test,Line\nabc", "huge count")
  t:eq(r:read(4e10), nil, "huge count at eof")
  t:eq(r:read(0), "", "zero count")
  r:close()

  local none, err = core.io_wrapper_open(dir .. "/missing/file", core.O_RDONLY, 0)
  t:eq(none, nil, "missing file")
  if type(err) ~= "string" then t:error("no error text") end
  t:raises(function() core.io_wrapper_open(nil, 0, 0) end, "bad argument #1 to 'io_wrapper_open' (string expected, got nil)", "nil name")
end

function TestVctx(t)
  local msg = core.ec_message_new(nil)
  local vctx = msys.core_test.vctx(msg)
  t:eq(msys.type(vctx), "msys.core:_validate_context", "msys.type")
  t:eq(vctx:get(core.VCTX_MESS, "k"), nil, "missing")
  vctx:set(core.VCTX_MESS, "k", "v")
  vctx:set(core.VCTX_CONN, "n", 3)
  vctx:set(core.VCTX_CONN, "b", true)
  t:eq(vctx:get(core.VCTX_MESS, "k"), "v", "get")
  t:eq(vctx:get(core.VCTX_CONN, "n"), "3", "number kept as a string")
  t:eq(vctx:get(core.VCTX_CONN, "b"), "true", "boolean")
  t:eq(msg:context_get(core.ECMESS_CTX_MESS, "k"), "v", "shared with the message context")
  vctx:set(core.VCTX_MESS, "k", nil)
  t:eq(msg:context_exists(core.ECMESS_CTX_MESS, "k"), 0, "nil unsets")
  -- Any value is accepted, kept as its string form.
  local tbl = {}
  vctx:set(core.VCTX_MESS, "k", tbl)
  t:eq(vctx:get(core.VCTX_MESS, "k"), tostring(tbl), "table value")
  vctx:set(core.VCTX_MESS, "k", core.string_new())
  t:eq(type(vctx:get(core.VCTX_MESS, "k")), "string", "userdata value")
  vctx:set(core.VCTX_MESS, "k", print)
  t:eq(msg:context_get(core.ECMESS_CTX_MESS, "k"), tostring(print), "function value")
  t:raises(function() vctx:get(9, "k") end, "bad argument #1 to 'get'", "bad selector")
  vctx:set_code(550, "no thanks")
  vctx:set_code("451", "later")
  t:raises(function() vctx:set_code(99, "x") end, "bad argument #1 to 'set_code'", "bad code")
  t:raises(function() vctx:set_code(299, "x") end, "SMTP reply code expected (2yz, 4yz or 5yz, y 0-5), got 299", "second digit past 5")
  t:raises(function() vctx:set_code(800, "x") end, "got 800", "no such class")
  t:raises(function() vctx:set_code(354, "x") end, "got 354", "an intermediate reply")
  t:raises(function() vctx:disconnect(299, "x") end, "got 299", "disconnect checks the code too")
  vctx:disconnect(421, "bye")
  t:raises(function() vctx:disconnect() end, "bad argument #1 to 'disconnect' (number expected, got no value)", "no code")
  local free = msys.core_test.vctx()
  free:set(core.VCTX_CONN, "x", "y")
  t:eq(free:get(core.VCTX_CONN, "x"), "y", "vctx without a message")
end

function TestContextFunctions(t)
  local msg = core.ec_message_new(nil)
  local M = core.ECMESS_CTX_MESS
  core.ec_message_context_set(msg, M, "SMS_Destination_Address", "5551234")
  core.ec_message_context_set(msg, M, "b", 2)
  t:eq(core.ec_message_context_get(msg, M, "SMS_Destination_Address"), "5551234", "get")
  t:eq(msg:context_get(M, "b"), "2", "the method sees the same context")
  t:eq(core.ec_message_context_get(msg, M, "missing"), "", "missing key")
  t:eq(core.ec_message_context_exists(msg, M, "b"), 1, "exists")
  t:eq(core.ec_message_context_delete(msg, M, "b"), 1, "delete")
  t:eq(core.ec_message_context_exists(msg, M, "b"), 0, "deleted")
  core.ec_message_context_set(msg, M, "a", "1")
  core.ec_message_context_set(msg, M, "c", "3")
  local keys, k = {}, core.ec_message_context_firstkey(msg, M)
  while k != nil do
    keys[#keys + 1] = k
    core.ec_message_context_set(msg, M, k, "seen") -- setting while walking visits each key once
    k = core.ec_message_context_nextkey(msg, M, k)
  end
  t:eq(table.concat(keys, ","), "SMS_Destination_Address,a,c", "walk in byte order")
  t:eq(core.ec_message_context_firstkey(msg, core.ECMESS_CTX_CONN), nil, "empty context")
  t:raises(function() core.ec_message_context_get("x", M, "k") end, "bad argument #1 to 'ec_message_context_get' (ec_message expected, got string)", "not a message")
end

function TestBlobjects(t)
  local msg = core.ec_message_new(nil)
  t:eq(core.ec_message_blobject_get(msg, "MO_Email_Text"), nil, "no blob")
  msg:context_set(core.ECMESS_CTX_MESS, "MO_Email_Text", "hello from SMS")
  local b = core.ec_message_blobject_get(msg, "MO_Email_Text")
  t:eq(msys.type(b), "msys.core:_ec_blobject", "class")
  t:eq(tostring(msys.cast(b.self, "msys.core:_ec_string")), "hello from SMS", "blob text as ec_string")
  core.ec_blobject_delref(b)
end

function TestStringwrite(t)
  local s = core.string_new()
  core.stringwrite(s, "789-4560-321", 12)
  core.stringwrite(s, "xyz", 1)
  core.stringwrite(s, "!")
  t:eq(tostring(s), "789-4560-321x!", "appends")
  t:raises(function() core.stringwrite(s, "ab", 3) end, "bad argument #3 to 'stringwrite' (length out of range)", "too long")
end

function TestDicts(t)
  local d = msys.core_test.dict()
  local out = core.string_new()
  core.dict_stringprint(out, d, 0, "  ")
  t:eq(tostring(out), "  RFC2822Address: a@example.com\n  Subject: hi\n", "stringprint")
  t:eq(core.dict_key_delete(d, "RFC2822Address"), true, "delete")
  t:eq(core.dict_key_delete(d, "RFC2822Address"), false, "delete again")
  core.dict_add_key_value(d, "RFC2822Address", "fred@example.com")
  t:eq(core.dict_get(d, "RFC2822Address"), "fred@example.com", "add")
  local it = core.dict_iter2(d)
  local seen = {}
  while true do
    local rc, k, v = core.dict_next(d, it)
    if rc == 0 then break end
    seen[#seen + 1] = k .. "=" .. v
  end
  core.dict_iter2_free(d, it)
  t:eq(table.concat(seen, ";"), "Subject=hi;RFC2822Address=fred@example.com", "iteration in insertion order")
end

function TestDoubleList(t)
  local l = msys.core_test.list()
  local first = core.ec_double_list_shift(l)
  t:eq(msys.type(first), "msys.core:_ec_string", "items keep their class")
  t:eq(tostring(first), "first", "first item")
  t:eq(core.ec_double_list_shift(l), "second", "second item")
  t:eq(core.ec_double_list_shift(l), nil, "empty")
end

function TestMoreConstants(t)
  for _, name in ipairs({ "P_SMPP", "P_MM7", "EC_HOOK_CONT", "EC_HOOK_DONE", "EC_HOOK_RETRY" }) do
    if type(core[name]) ~= "number" then t:error(name .. " missing") end
  end
  t:eq(core.EC_HOOK_CONT, 0, "EC_HOOK_CONT")
end

function TestProtocols(t)
  t:eq(core.protocol_string(core.P_MM7), "MM7", "MM7")
  t:eq(core.protocol_string(core.P_ESMTP), "ESMTP", "ESMTP")
  t:eq(core.protocol_string(99), "UNKNOWN", "unknown")
  local msg = core.ec_message_new(nil)
  t:eq(msg.recv_method, 0, "a message made by a script")
  msg:context_set(core.ECMESS_CTX_CONN, "msyshost:recv_method", "mm7")
  t:eq(msg.recv_method, core.P_MM7, "received over MM7")
end

-- The accept construct's fields, as a reception hook reads them.
function TestAcceptConstruct(t)
  local ac = msys.core_test.accept({ remote_addr = "192.0.2.7:40001", local_addr = "127.0.0.1:25",
    protocol = core.P_SMTP, ehlo = "client.example", auth_user = "carol", tls = true })
  t:eq(msys.type(ac), "msys.core:_accept_construct", "msys.type")
  t:eq(ac.remote_addr, "192.0.2.7:40001", "remote_addr")
  t:eq(ac.local_addr, "127.0.0.1:25", "local_addr")
  t:eq(ac.protocol, core.P_SMTP, "protocol")
  t:eq(core.protocol_string(ac.protocol), "SMTP", "protocol_string")
  t:eq(ac.ehlo, "client.example", "ehlo")
  t:eq(ac.auth_user, "carol", "auth_user")
  t:eq(ac.tls, true, "tls")
  local before = msys.core_test.accept({ remote_addr = "192.0.2.7:40001", local_addr = "127.0.0.1:25",
    protocol = core.P_ESMTP, ehlo = "", auth_user = "", tls = false })
  t:eq(ac.protocol ~= before.protocol, true, "ESMTP is another protocol")
  t:eq(before.ehlo, "", "ehlo before a greeting")
  t:eq(before.auth_user, "", "auth_user before AUTH")
  t:eq(before.tls, false, "tls before STARTTLS")
  t:eq(type(before.tls), "boolean", "tls is a boolean")
end
