-- msys.dumper.Dumper: a chunk that rebuilds the value.

local dumper = require("msys.dumper")

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b or (a ~= a and b ~= b) end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

function TestScalars(t)
  t:eq(dumper.Dumper(nil), "return nil", "nil")
  t:eq(dumper.Dumper(42), "return 42", "number")
  t:eq(dumper.Dumper(0.1), "return 0.1", "fraction")
  t:eq(dumper.Dumper(true), "return true", "boolean")
  t:eq(dumper.Dumper('say "hi"\n'), 'return "say \\"hi\\"\\n"', "quoted string")
  t:eq(dumper.Dumper(1/0), "return 1/0", "inf")
end

function TestTables(t)
  t:eq(dumper.Dumper({}), "return {}", "empty")
  t:eq(dumper.Dumper({ "a", "b", x = 1, ["not a name"] = 2, ["end"] = 3 }),
    'return {\n  [1] = "a",\n  [2] = "b",\n  ["end"] = 3,\n  ["not a name"] = 2,\n  x = 1,\n}', "layout")
  local v = { 1, { nested = { true, "\0\1x" } }, name = "n", [2.5] = "frac" }
  local back = loadstring(dumper.Dumper(v))()
  if not same(back, v) then t:error("the chunk does not rebuild the value:\n" .. dumper.Dumper(v)) end
end

function TestOthers(t)
  local loop = { a = 1 }
  loop.self = loop
  local s = dumper.Dumper(loop)
  if not string.find(s, "self = nil --[[ the table itself, again ]]", 1, true) then t:error(s) end
  if not string.find(dumper.Dumper({ f = print }), "f = nil --[[ function", 1, true) then t:error("function as comment") end
  if not loadstring(dumper.Dumper({ f = print, u = msys.core.string_new() })) then t:error("the chunk must load") end
end
