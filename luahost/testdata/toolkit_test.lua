-- The binding toolkit as a script sees it: every binding checks its
-- arguments with PUC's words, reads numbers as PUC does, contains Go
-- panics and returns nil, "message" for runtime failures.

local tk = require("test.toolkit")

function TestNumbersReadAsPUCReadsThem(t)
  t:eq(tk.number(" 0x1F "), 31, "hex with blanks")
  t:eq(tk.number("1e2"), 100, "exponent")
  t:eq(tk.number("  -2.5\t"), -2.5, "blanks around")
  t:eq(tk.number("inf"), math.huge, "inf")
  t:eq(tk.int(3.9), 3, "truncation")
  t:eq(tk.int(-3.9), -3, "truncation towards zero")
  t:eq(tk.int("0x10"), 16, "int from hex string")
  t:raises(function() tk.number("12abc") end, "bad argument #1 to 'number' (number expected, got string)", "junk after digits")
  t:raises(function() tk.number() end, "bad argument #1 to 'number' (number expected, got no value)", "missing")
end

function TestStringsAndOptions(t)
  t:eq(tk.str(1e15), "1e+15", "number as %.14g")
  t:eq(tk.str(0.1), "0.1", "0.1")
  t:raises(function() tk.str({}) end, "bad argument #1 to 'str' (string expected, got table)", "table")
  local s, n = tk.opt()
  t:eq(s .. n, "dflt7", "defaults")
  s, n = tk.opt(nil, "5")
  t:eq(s .. n, "dflt5", "numeric string for an int")
  t:eq(tk.option(), 1, "default option")
  t:eq(tk.option("c"), 2, "option c")
  t:raises(function() tk.option("z") end, "bad argument #1 to 'option' (invalid option 'z')", "bad option")
  t:raises(function() tk.fn(1) end, "bad argument #1 to 'fn' (function expected, got number)", "function")
  t:raises(function() tk.any() end, "bad argument #1 to 'any' (value expected)", "any")
  t:eq(tk.any(nil), nil, "an explicit nil is a value")
end

function TestErrorsNameTheCaller(t)
  local ok, err = pcall(function() tk.raise() end)
  if ok or not string.find(err, "^[^:]*toolkit_test.lua:%d+: no luck$") then
    t:error("raise must put the Lua caller's position in front: " .. tostring(err))
  end
end

function TestFailureConvention(t)
  local v, err = tk.fail()
  t:eq(v, nil, "value")
  t:eq(err, "disk full", "message")
  v, err = tk.service()
  t:eq(v, "gear", "service set by the assembly")
end

function TestPanicIsContained(t)
  t:raises(tk.panic, "internal error in 'panic': broken invariant", "panic")
  -- The state keeps working.
  t:eq(tk.str("after"), "after", "after a panic")
end

function TestClasses(t)
  local w = tk.widget("gear")
  t:eq(msys.type(w), "test:_widget", "msys.type")
  t:eq(w:name(), "gear", "method")
  t:eq(w.label, "<gear>", "field")
  t:eq(w.nothing, nil, "unknown key")
  w:rename("cog")
  t:eq(w:name(), "cog", "rename")
  t:eq(tk.widget(), nil, "a nil Go value pushes nil")
  t:raises(function() w.name(42) end, "bad argument #1 to 'name' (widget expected, got number)", "bad self")
  t:raises(function() w:rename() end, "bad argument #1 to 'rename' (string expected, got no value)", "method args count from 1")
  t:raises(function() w.label = "x" end, "cannot set field 'label' of test:_widget", "read-only field")
  t:eq(getmetatable(w), "test:_widget", "metatable is protected")
end
