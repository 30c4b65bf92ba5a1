-- Numeric for: PUC's OP_FORPREP converts numeric strings once, after all
-- three bounds are evaluated, and words its errors "'for' ... must be a
-- number"; luahost/dialect lowers non-literal bounds to one host call.
local function run(...)
  local out = {}
  local ok, err = pcall(function(a, b, c)
    if c == nil then for i = a, b do out[#out + 1] = i end
    else for i = a, b, c do out[#out + 1] = i end end
  end, ...)
  if not ok then return err end
  return table.concat(out, " ")
end
print("for-str-bounds", run("1", "3"))
print("for-str-step", run("10", 1, "-3"))
print("for-str-hex", run("0x2", " 4 "))
print("for-str-frac", run(".5", "2"))
print("for-bad-init", run("x", 1))
print("for-bad-limit", run(1, {}))
print("for-bad-step", run(1, 2, "1_0"))
print("for-nil-step", pcall(function() for i = 1, 2, nil do end end))
print("for-order", pcall(function() for i = {}, error("limit evaluated first") do end end))
print("for-order2", pcall(function() for i = "a", 1, {} do end end))
local n = "3"
local s = 0
for i = 1, n do s = s + i end
print("for-limit-only", s)
local function two() return 3, 4 end
local out = {}
for i = 1, two() do out[#out + 1] = i end
print("for-call-bound", table.concat(out, " "))
out = {}
for i = "1", two() do out[#out + 1] = i end
print("for-call-bounds", table.concat(out, " "))
print("for-type", (function() for i = "2", 2 do return type(i) end end)())
for i = 3, 1 do print("never") end
out = {}
for i = -1, -3, -1 do out[#out + 1] = i end
print("for-numerals", table.concat(out, " "))
out = {}
for i = 1, 3 do for j = i, "3" do out[#out + 1] = i .. j end end
print("for-nested", table.concat(out, " "))
print("for-err-line", pcall(function()
  local lim = "x"
  for i = 1,
    lim
  do end
end))
