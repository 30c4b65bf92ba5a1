-- The binding toolkit as a script sees it: every binding checks its
-- arguments with PUC's words, reads numbers as PUC does, contains Go
-- panics and returns nil, "message" for runtime failures.

local tk = require("test.toolkit")

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

function TestNumbersReadAsPUCReadsThem(t)
  eq(t, tk.number(" 0x1F "), 31, "hex with blanks")
  eq(t, tk.number("1e2"), 100, "exponent")
  eq(t, tk.number("  -2.5\t"), -2.5, "blanks around")
  eq(t, tk.number("inf"), math.huge, "inf")
  eq(t, tk.int(3.9), 3, "truncation")
  eq(t, tk.int(-3.9), -3, "truncation towards zero")
  eq(t, tk.int("0x10"), 16, "int from hex string")
  raises(t, function() tk.number("12abc") end, "bad argument #1 to 'number' (number expected, got string)", "junk after digits")
  raises(t, function() tk.number() end, "bad argument #1 to 'number' (number expected, got no value)", "missing")
end

function TestStringsAndOptions(t)
  eq(t, tk.str(1e15), "1e+15", "number as %.14g")
  eq(t, tk.str(0.1), "0.1", "0.1")
  raises(t, function() tk.str({}) end, "bad argument #1 to 'str' (string expected, got table)", "table")
  local s, n = tk.opt()
  eq(t, s .. n, "dflt7", "defaults")
  s, n = tk.opt(nil, "5")
  eq(t, s .. n, "dflt5", "numeric string for an int")
  eq(t, tk.option(), 1, "default option")
  eq(t, tk.option("c"), 2, "option c")
  raises(t, function() tk.option("z") end, "bad argument #1 to 'option' (invalid option 'z')", "bad option")
  raises(t, function() tk.fn(1) end, "bad argument #1 to 'fn' (function expected, got number)", "function")
  raises(t, function() tk.any() end, "bad argument #1 to 'any' (value expected)", "any")
  eq(t, tk.any(nil), nil, "an explicit nil is a value")
end

function TestErrorsNameTheCaller(t)
  local ok, err = pcall(function() tk.raise() end)
  if ok or not string.find(err, "^[^:]*toolkit_test.lua:%d+: no luck$") then
    t:error("raise must put the Lua caller's position in front: " .. tostring(err))
  end
end

function TestFailureConvention(t)
  local v, err = tk.fail()
  eq(t, v, nil, "value")
  eq(t, err, "disk full", "message")
  v, err = tk.service()
  eq(t, v, "gear", "service set by the assembly")
end

function TestPanicIsContained(t)
  raises(t, tk.panic, "internal error in 'panic': broken invariant", "panic")
  -- The state keeps working.
  eq(t, tk.str("after"), "after", "after a panic")
end

function TestClasses(t)
  local w = tk.widget("gear")
  eq(t, msys.type(w), "test:_widget", "msys.type")
  eq(t, w:name(), "gear", "method")
  eq(t, w.label, "<gear>", "field")
  eq(t, w.nothing, nil, "unknown key")
  w:rename("cog")
  eq(t, w:name(), "cog", "rename")
  eq(t, tk.widget(), nil, "a nil Go value pushes nil")
  raises(t, function() w.name(42) end, "bad argument #1 to 'name' (widget expected, got number)", "bad self")
  raises(t, function() w:rename() end, "bad argument #1 to 'rename' (string expected, got no value)", "method args count from 1")
  raises(t, function() w.label = "x" end, "cannot set field 'label' of test:_widget", "read-only field")
  eq(t, getmetatable(w), "test:_widget", "metatable is protected")
end
