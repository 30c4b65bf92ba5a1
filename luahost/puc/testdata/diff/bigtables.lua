-- Big table constructors: every list item kept past 25,550 (511 batches
-- of 50), many distinct constants, fields in source order, varargs and a
-- multiple-value last item, errors at the field's line.
local function build(n, item)
  local parts = {}
  for i = 1, n do parts[i] = item(i) end
  return "return {" .. table.concat(parts, ", ") .. "}"
end
local list = assert(loadstring(build(30000, tostring)))()
print("list", #list, list[1], list[25550], list[25551], list[30000], list[0], list[-49])
local sum = 0
for i = 1, #list do sum = sum + list[i] end
print("sum", sum)

local keyed = assert(loadstring(build(20000, function(i) return string.format("k%d = %d", i, i * 3) end)))()
local count, total = 0, 0
for k, v in pairs(keyed) do count = count + 1 total = total + v end
print("keyed", count, total, keyed.k1, keyed.k20000)

local mixed = assert(loadstring(build(1200, function(i)
  if i % 3 == 0 then return "[-" .. i .. "] = " .. i end
  if i % 3 == 1 then return "'s" .. i .. "'" end
  return "{" .. i .. ", x = " .. i .. "}"
end)))()
print("mixed", #mixed, mixed[1], mixed[2][1], mixed[2].x, mixed[-3], mixed[-1200], type(mixed[800]))

-- Fields are evaluated in source order.
local order = {}
_G.note = function(v) order[#order + 1] = v return v end
local src = build(700, function(i) if i % 2 == 0 then return "note(" .. i .. ")" end return "[note('k" .. i .. "')] = note(" .. i .. ")" end)
local ordered = assert(loadstring(src))()
print("order", #order, order[1], order[2], order[3], order[#order], #ordered, ordered[350], ordered.k699)

-- Varargs and calls: ... means the enclosing function's, a last call or
-- ... gives all its values.
local f = assert(loadstring("local a, b = ... return {" .. string.rep("a, b, ", 400) .. "...}"))
local v = f(1, 2, 3, 4, 5)
print("varargs", #v, v[799], v[800], v[801], v[802], v[803], v[804], v[805])
local g = assert(loadstring("local function three() return 'x', 'y', 'z' end return {" .. string.rep("7, ", 600) .. "three()}"))
local w = g()
print("multi", #w, w[600], w[601], w[602], w[603])
local h = assert(loadstring("local function three() return 'x', 'y', 'z' end return {" .. string.rep("7, ", 600) .. "(three())}"))
print("single", #h(), h()[601])
local upv = assert(loadstring("local u, w = 10, 20 return function() return {" .. string.rep("u, w, ", 300) .. "u + w} end"))()
local r = upv()
print("upvalues", #r, r[1], r[600], r[601])

-- A runtime error in a field names the field's line.
local lines = {"return {"}
for i = 1, 600 do lines[#lines + 1] = i .. "," end
lines[#lines + 1] = "nothere.field }"
print("error", pcall(assert(loadstring(table.concat(lines, "\n"), "=big"))))
