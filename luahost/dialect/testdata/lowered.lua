-- Plain Lua that luahost/dialect lowers because gopher-lua's compiler or
-- VM gets it wrong: multiple assignment, numeric for bounds, ^. Output
-- must equal lua5.1's (integers and strings only: print is gopher-lua's;
-- VM error words are puc's business, see luahost/puc/testdata/diff).
local a, b = 0, 1
for i = 1, 10 do a, b = b, a + b end
print("fib", a, b)
local x, y, z = 1, 2, 3
x, y, z = y, z, x
print("rotate", x, y, z)
local acc, i = {}, 1
acc[i], i = i, i + 1
acc[i], i = i, i + 1
print("indexed", acc[1], acc[2], acc[3], i)
local t, k = {}, 1
local function bump() k = 2 return 0 end
k, t[k] = bump(), 20
print("key-at-store", t[1], t[2], k)
local ev = {}
local function e(v) ev[#ev + 1] = v return v end
local tt = {}
tt[e("k1")], tt[e("k2")] = e("v1"), e("v2"), e("v3")
print("order", table.concat(ev, " "), tt.k1, tt.k2)
local log = {}
local p = setmetatable({}, {__newindex = function(_, key, v) log[#log + 1] = key .. tostring(v) end})
p.a, p.b, p.c = 1, 2
print("stores", table.concat(log, " "))
local n, s = "4", 0
for j = 1, n do s = s + j end
print("for-limit", s)
s = 0
for j = "10", "1", "-3" do s = s + j end
print("for-all", s)
print("for-init", pcall(function() for j = "x", 2 do end end))
print("for-step", pcall(function() for j = 1, 2, {} do end end))
print("for-order", pcall(function() for j = {}, error("limit first") do end end))
local base = 2
print("pow", base ^ 10, "3" ^ 2, 2 ^ 3 ^ 2, -base ^ 2)
print("pow-error", pcall(function() local q = {} return base ^ q end))
