-- The functions directly under msys.*.

local dir = os.getenv("MSYSHOST_TEST_DIR")

function TestRequireMsys(t)
  t:eq(require("msys"), msys, "require('msys')")
end

function TestSleep(t)
  local t0 = os.time()
  msys.sleep(0.05)
  msys.sleep(0)
  msys.sleep(-1)
  t:raises(function() msys.sleep("soon") end, "bad argument #1 to 'sleep' (number expected, got string)", "sleep(string)")
  t:eq(msys.asyncOk(), true, "asyncOk in a test call")
end

function TestLocks(t)
  msys.lock("a")
  t:raises(function() msys.lock("a") end, "already holds lock 'a'", "relock")
  msys.unlock("a")
  t:raises(function() msys.unlock("a") end, "lock 'a' is not held by this Lua state", "unlock twice")
  msys.lock("a")
  msys.unlock("a")
end

function TestShareSpace(t)
  t:eq(msys.shareGet("nothing"), nil, "missing key")
  msys.shareSet("n", 42)
  msys.shareSet("s", "text")
  local src = { 1, 2, x = { y = "deep" } }
  msys.shareSet("t", src)
  t:eq(msys.shareGet("n"), 42, "number")
  t:eq(msys.shareGet("s"), "text", "string")
  local got = msys.shareGet("t")
  t:eq(got[2], 2, "table array part")
  t:eq(got.x.y, "deep", "nested table")
  if got == src then t:error("shareGet must return a copy") end
  src.x.y = "changed"
  t:eq(msys.shareGet("t").x.y, "deep", "the stored copy does not follow the original")
  msys.shareUnset("n")
  t:eq(msys.shareGet("n"), nil, "after unset")
  msys.shareSet("s", nil)
  t:eq(msys.shareGet("s"), nil, "set nil unsets")
  t:raises(function() msys.shareSet("f", print) end, "a function cannot be shared between Lua states", "function")
  local loop = {}
  loop.me = loop
  t:raises(function() msys.shareSet("loop", loop) end, "a table that contains itself cannot be shared", "cycle")
  -- A deep table without a cycle is named as what it is.
  local deep = {}
  local at = deep
  for i = 1, 70 do at.next = {} at = at.next end
  t:raises(function() msys.shareSet("deep", deep) end, "a table nested more than 64 levels deep cannot be shared", "deep")
  local ok64 = {}
  at = ok64
  for i = 1, 60 do at.next = {} at = at.next end
  msys.shareSet("deep", ok64)
  t:eq(type(msys.shareGet("deep").next.next), "table", "60 levels are shared")
end

function TestReadfile(t)
  t:eq(msys.readfile(dir .. "/greeting.txt"), "hello\nworld\n", "path")
  t:eq(msys.readfile("file://" .. dir .. "/greeting.txt"), "hello\nworld\n", "file:// URI")
  local v, err = msys.readfile(dir .. "/missing.txt")
  t:eq(v, nil, "missing file value")
  if not string.find(err, "no such file or directory", 1, true) then t:error("missing file error: " .. tostring(err)) end
  v, err = msys.readfile("ftp://example.com/x")
  t:eq(v, nil, "other scheme")
  if not string.find(err, "only files and file:// URIs", 1, true) then t:error("scheme error: " .. tostring(err)) end
  -- A FIFO with no writer, or a device, would block or never end.
  for _, name in ipairs({ dir .. "/fifo", "/dev/zero" }) do
    v, err = msys.readfile(name)
    t:eq(v, nil, name .. " value")
    if not string.find(tostring(err), "not a regular file", 1, true) then t:error(name .. ": " .. tostring(err)) end
  end
  -- A file larger than the call may allocate is refused before reading.
  v, err = msys.readfile(dir .. "/huge.bin")
  t:eq(v, nil, "huge file value")
  if not string.find(tostring(err), "not enough memory", 1, true) then t:error("huge file: " .. tostring(err)) end
end

function TestParseRFC2822Addresses(t)
  local s = '"Doe, John" <john+news@Example.COM>, jane@example.org (Jane), Team: a@b.example, c@d.example;'
  local all = msys.parseRFC2822Addresses(s, "all")
  t:eq(#all, 4, "addresses, a group's members included")
  t:eq(all[1], "john+news@Example.COM", "display name and comma in quotes")
  t:eq(msys.parseRFC2822Addresses(s, "user")[1], "john", "user")
  t:eq(msys.parseRFC2822Addresses(s, "detail")[1], "news", "detail")
  t:eq(msys.parseRFC2822Addresses(s, "localpart")[1], "john+news", "localpart")
  t:eq(msys.parseRFC2822Addresses(s, "domain")[2], "example.org", "domain")
  t:eq(msys.parseRFC2822Addresses("x@y.example")[1], "x@y.example", "component defaults to all")
  t:raises(function() msys.parseRFC2822Addresses(s, "host") end, "bad argument #2 to 'parseRFC2822Addresses' (invalid address component \"host\"", "bad component")
end

function TestExpandMacroOutsideAHook(t)
  t:eq(msys.expandMacro("ehlo=%{vctx_conn:ehlo_string}; %{other}"), "ehlo=; %{other}", "no session: context macros are empty")
end

function TestConfig(t)
  local v, text = msys.config("get", "max_outbound_connections")
  t:eq(v, "20", "global value")
  t:eq(text, "max_outbound_connections = 20", "console text")
  v = msys.config("get", "domain", "yahoo.com", "max_outbound_connections")
  t:eq(v, "5", "domain value")
  v = msys.config("get", "domain", "other.example", "max_outbound_connections")
  t:eq(v, "20", "falls back to global")
  v, text = msys.config("get", "no_such_option")
  t:eq(v, nil, "unset option")
  t:eq(text, "Option 'no_such_option' is not set in scope ''.", "unset text")
  v, text = msys.config("set", "max_outbound_connections", "3")
  t:eq(v, nil, "set")
  if not string.find(text, "comes from its file", 1, true) then t:error("set: " .. tostring(text)) end
end

function TestLog(t)
  msys.log(msys.core.LOG_WARNING, "disk nearly full")
  msys.log(msys.core.LOG_ERR, "cannot reach ldap")
  msys.log(msys.core.LOG_DEBUG, "details")
  msys.log(msys.core.LOG_NOTICE, "notice me")
  t:raises(function() msys.log(99, "x") end, "bad argument #1 to 'log' (msys.core.LOG_* level expected)", "bad level")
  local levels = { "LOG_EMERG", "LOG_ALERT", "LOG_CRIT", "LOG_ERR", "LOG_WARNING", "LOG_NOTICE", "LOG_INFO", "LOG_DEBUG" }
  for i, name in ipairs(levels) do t:eq(msys.core[name], i - 1, name) end
end

function TestCast(t)
  local s = msys.core.string_new()
  t:eq(msys.cast(s, "msys.core:_ec_string"), s, "cast to its own class")
  t:raises(function() msys.cast(s, "msys.core:_ec_message") end, "msys.cast: a msys.core:_ec_string cannot be cast to msys.core:_ec_message", "cast to another")
  t:eq(msys.cast(nil, "msys.core:_ec_string"), nil, "nil")
  t:eq(type(msys.getClassMetaTable("msys.core:_ec_message")), "table", "class metatable")
  t:eq(msys.getClassMetaTable("nothing:_here"), nil, "unknown class")
end

function TestRunInPoolSync(t)
  local ok, a, b = msys.runInPool("IO", function() return 1, "two" end)
  t:eq(ok, true, "status")
  t:eq(a, 1, "first result")
  t:eq(b, "two", "second result")
  local ok2, err = msys.runInPool("CPU", function() error("broke") end)
  t:eq(ok2, false, "error status")
  if not string.find(tostring(err), "broke", 1, true) then t:error("error value: " .. tostring(err)) end
  t:raises(function() msys.runInPool("nowhere", function() end) end, "no thread pool named 'nowhere'", "unknown pool")
  t:raises(function() msys.runInPool("IO") end, "bad argument #2 to 'runInPool' (function expected, got no value)", "no closure")
  -- Errors are worded as pcall words them in PUC 5.1.
  local x = nil
  local ok3, err3 = msys.runInPool("CPU", function() return x.y end)
  t:eq(ok3, false, "runtime error status")
  if not string.find(tostring(err3), "attempt to index upvalue 'x' (a nil value)", 1, true) then
    t:error("runtime error in PUC's words: " .. tostring(err3))
  end
end

-- A named lock belongs to the Lua state, coroutines included.
function TestLockTakenInACoroutine(t)
  local co = coroutine.create(function() msys.lock("co") end)
  assert(coroutine.resume(co))
  t:raises(function() msys.lock("co") end, "already holds lock 'co'", "relock after a coroutine locked")
  msys.unlock("co")
end
