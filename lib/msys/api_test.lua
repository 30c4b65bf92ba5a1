-- The functions directly under msys.*.

local function eq(t, got, want, what)
  if got ~= want then
    t:error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)))
  end
end

local function raises(t, f, want, what)
  local ok, err = pcall(f)
  if ok then
    t:error(what .. ": no error")
  elseif not string.find(tostring(err), want, 1, true) then
    t:error(what .. ": error '" .. tostring(err) .. "' lacks '" .. want .. "'")
  end
end

local dir = os.getenv("MSYSHOST_TEST_DIR")

function TestRequireMsys(t)
  eq(t, require("msys"), msys, "require('msys')")
end

function TestSleep(t)
  local t0 = os.time()
  msys.sleep(0.05)
  msys.sleep(0)
  msys.sleep(-1)
  raises(t, function() msys.sleep("soon") end, "bad argument #1 to 'sleep' (number expected, got string)", "sleep(string)")
  eq(t, msys.asyncOk(), true, "asyncOk in a test call")
end

function TestLocks(t)
  msys.lock("a")
  raises(t, function() msys.lock("a") end, "already holds lock 'a'", "relock")
  msys.unlock("a")
  raises(t, function() msys.unlock("a") end, "lock 'a' is not held by this Lua state", "unlock twice")
  msys.lock("a")
  msys.unlock("a")
end

function TestShareSpace(t)
  eq(t, msys.shareGet("nothing"), nil, "missing key")
  msys.shareSet("n", 42)
  msys.shareSet("s", "text")
  local src = { 1, 2, x = { y = "deep" } }
  msys.shareSet("t", src)
  eq(t, msys.shareGet("n"), 42, "number")
  eq(t, msys.shareGet("s"), "text", "string")
  local got = msys.shareGet("t")
  eq(t, got[2], 2, "table array part")
  eq(t, got.x.y, "deep", "nested table")
  if got == src then t:error("shareGet must return a copy") end
  src.x.y = "changed"
  eq(t, msys.shareGet("t").x.y, "deep", "the stored copy does not follow the original")
  msys.shareUnset("n")
  eq(t, msys.shareGet("n"), nil, "after unset")
  msys.shareSet("s", nil)
  eq(t, msys.shareGet("s"), nil, "set nil unsets")
  raises(t, function() msys.shareSet("f", print) end, "a function cannot be shared between Lua states", "function")
  local loop = {}
  loop.me = loop
  raises(t, function() msys.shareSet("loop", loop) end, "a table that contains itself cannot be shared", "cycle")
  -- A deep table without a cycle is named as what it is.
  local deep = {}
  local at = deep
  for i = 1, 70 do at.next = {} at = at.next end
  raises(t, function() msys.shareSet("deep", deep) end, "a table nested more than 64 levels deep cannot be shared", "deep")
  local ok64 = {}
  at = ok64
  for i = 1, 60 do at.next = {} at = at.next end
  msys.shareSet("deep", ok64)
  eq(t, type(msys.shareGet("deep").next.next), "table", "60 levels are shared")
end

function TestReadfile(t)
  eq(t, msys.readfile(dir .. "/greeting.txt"), "hello\nworld\n", "path")
  eq(t, msys.readfile("file://" .. dir .. "/greeting.txt"), "hello\nworld\n", "file:// URI")
  local v, err = msys.readfile(dir .. "/missing.txt")
  eq(t, v, nil, "missing file value")
  if not string.find(err, "no such file or directory", 1, true) then t:error("missing file error: " .. tostring(err)) end
  v, err = msys.readfile("ftp://example.com/x")
  eq(t, v, nil, "other scheme")
  if not string.find(err, "only files and file:// URIs", 1, true) then t:error("scheme error: " .. tostring(err)) end
  -- A FIFO with no writer, or a device, would block or never end.
  for _, name in ipairs({ dir .. "/fifo", "/dev/zero" }) do
    v, err = msys.readfile(name)
    eq(t, v, nil, name .. " value")
    if not string.find(tostring(err), "not a regular file", 1, true) then t:error(name .. ": " .. tostring(err)) end
  end
  -- A file larger than the call may allocate is refused before reading.
  v, err = msys.readfile(dir .. "/huge.bin")
  eq(t, v, nil, "huge file value")
  if not string.find(tostring(err), "not enough memory", 1, true) then t:error("huge file: " .. tostring(err)) end
end

function TestParseRFC2822Addresses(t)
  local s = '"Doe, John" <john+news@Example.COM>, jane@example.org (Jane), Team: a@b.example, c@d.example;'
  local all = msys.parseRFC2822Addresses(s, "all")
  eq(t, #all, 4, "addresses, a group's members included")
  eq(t, all[1], "john+news@Example.COM", "display name and comma in quotes")
  eq(t, msys.parseRFC2822Addresses(s, "user")[1], "john", "user")
  eq(t, msys.parseRFC2822Addresses(s, "detail")[1], "news", "detail")
  eq(t, msys.parseRFC2822Addresses(s, "localpart")[1], "john+news", "localpart")
  eq(t, msys.parseRFC2822Addresses(s, "domain")[2], "example.org", "domain")
  eq(t, msys.parseRFC2822Addresses("x@y.example")[1], "x@y.example", "component defaults to all")
  raises(t, function() msys.parseRFC2822Addresses(s, "host") end, "bad argument #2 to 'parseRFC2822Addresses' (invalid address component \"host\"", "bad component")
end

function TestExpandMacroOutsideAHook(t)
  eq(t, msys.expandMacro("ehlo=%{vctx_conn:ehlo_string}; %{other}"), "ehlo=; %{other}", "no session: context macros are empty")
end

function TestConfig(t)
  local v, text = msys.config("get", "max_outbound_connections")
  eq(t, v, "20", "global value")
  eq(t, text, "max_outbound_connections = 20", "console text")
  v = msys.config("get", "domain", "yahoo.com", "max_outbound_connections")
  eq(t, v, "5", "domain value")
  v = msys.config("get", "domain", "other.example", "max_outbound_connections")
  eq(t, v, "20", "falls back to global")
  v, text = msys.config("get", "no_such_option")
  eq(t, v, nil, "unset option")
  eq(t, text, "Option 'no_such_option' is not set in scope ''.", "unset text")
  v, text = msys.config("set", "max_outbound_connections", "3")
  eq(t, v, nil, "set")
  if not string.find(text, "comes from its file", 1, true) then t:error("set: " .. tostring(text)) end
end

function TestLog(t)
  msys.log(msys.core.LOG_WARNING, "disk nearly full")
  msys.log(msys.core.LOG_ERR, "cannot reach ldap")
  msys.log(msys.core.LOG_DEBUG, "details")
  msys.log(msys.core.LOG_NOTICE, "notice me")
  raises(t, function() msys.log(99, "x") end, "bad argument #1 to 'log' (msys.core.LOG_* level expected)", "bad level")
  local levels = { "LOG_EMERG", "LOG_ALERT", "LOG_CRIT", "LOG_ERR", "LOG_WARNING", "LOG_NOTICE", "LOG_INFO", "LOG_DEBUG" }
  for i, name in ipairs(levels) do eq(t, msys.core[name], i - 1, name) end
end

function TestCast(t)
  local s = msys.core.string_new()
  eq(t, msys.cast(s, "msys.core:_ec_string"), s, "cast to its own class")
  raises(t, function() msys.cast(s, "msys.core:_ec_message") end, "msys.cast: a msys.core:_ec_string cannot be cast to msys.core:_ec_message", "cast to another")
  eq(t, msys.cast(nil, "msys.core:_ec_string"), nil, "nil")
  eq(t, type(msys.getClassMetaTable("msys.core:_ec_message")), "table", "class metatable")
  eq(t, msys.getClassMetaTable("nothing:_here"), nil, "unknown class")
end

function TestRunInPoolSync(t)
  local ok, a, b = msys.runInPool("IO", function() return 1, "two" end)
  eq(t, ok, true, "status")
  eq(t, a, 1, "first result")
  eq(t, b, "two", "second result")
  local ok2, err = msys.runInPool("CPU", function() error("broke") end)
  eq(t, ok2, false, "error status")
  if not string.find(tostring(err), "broke", 1, true) then t:error("error value: " .. tostring(err)) end
  raises(t, function() msys.runInPool("nowhere", function() end) end, "no thread pool named 'nowhere'", "unknown pool")
  raises(t, function() msys.runInPool("IO") end, "bad argument #2 to 'runInPool' (function expected, got no value)", "no closure")
  -- Errors are worded as pcall words them in PUC 5.1.
  local x = nil
  local ok3, err3 = msys.runInPool("CPU", function() return x.y end)
  eq(t, ok3, false, "runtime error status")
  if not string.find(tostring(err3), "attempt to index upvalue 'x' (a nil value)", 1, true) then
    t:error("runtime error in PUC's words: " .. tostring(err3))
  end
end

-- A named lock belongs to the Lua state, coroutines included.
function TestLockTakenInACoroutine(t)
  local co = coroutine.create(function() msys.lock("co") end)
  assert(coroutine.resume(co))
  raises(t, function() msys.lock("co") end, "already holds lock 'co'", "relock after a coroutine locked")
  msys.unlock("co")
end
