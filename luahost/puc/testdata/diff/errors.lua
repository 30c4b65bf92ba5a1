-- error, pcall, xpcall, assert: values, levels and position prefixes.
print("e1", pcall(error, "msg"))
print("e2", pcall(function() error("msg") end))
print("e3", pcall(function() error("msg", 0) end))
print("e4", pcall(function() error("msg", 1) end))
local function lvl2() error("deep", 2) end
local function caller() lvl2() end
print("e5", pcall(caller))
local function lvl3() error("deeper", 3) end
local function mid() lvl3() end
local function top() mid() end
print("e6", pcall(top))
print("e7", pcall(function() error("far", 50) end))
print("e8", pcall(function() error(42) end))
print("e9", pcall(function() error(4.5, 0) end))
print("e10", pcall(function() error() end))
print("e11", pcall(function() error(nil) end))
print("e12", pcall(function() error(true) end))
local ok, e = pcall(function() error({msg = "tbl"}) end)
print("e13", ok, type(e), e.msg)
ok, e = pcall(function() error(setmetatable({}, {__tostring = function() return "TS" end})) end)
print("e14", ok, tostring(e))
print("e15", pcall(error))
print("e16", pcall(function() error("x", "2") end))
print("e17", pcall(function() error("lvl-str", 2) end))
print("a1", pcall(assert, true, "unused"))
print("a2", pcall(assert, 1, 2, 3))
print("a3", pcall(function() assert(false) end))
print("a4", pcall(function() assert(nil, "custom message") end))
print("a5", pcall(function() assert(false, 42) end))
print("a6", pcall(assert))
print("a7", pcall(function() assert(false, {}) end))
print("a8", select("#", assert(1, nil, nil)))
print("p1", pcall(function(...) return ... end, 1, 2, 3))
print("p2", pcall(nil))
print("p3", pcall(pcall))
print("p4", pcall(pcall, error, "x"))
print("p5", pcall({}))
print("x1", xpcall(function() error("handled") end, function(m) return "H:" .. m end))
print("x2", xpcall(function() return 1, 2 end, print))
print("x3", xpcall(function() error({}) end, function(m) return type(m) end))
print("x4", pcall(xpcall, function() error("a") end, function(m) error("in handler") end))
local function thrower(n) if n == 0 then error("bottom") end return thrower(n - 1) end
print("deep", pcall(thrower, 5))
local nested = {pcall(pcall, error, "nested")}
print("nested", nested[1], nested[2], nested[3])
ok, e = pcall(function()
  local ok2, e2 = pcall(error, "inner")
  error("outer after " .. tostring(e2), 1)
end)
print("rethrow", ok, e)
print("tostring-err", pcall(tostring))
print("ipairs-err", pcall(ipairs))
print("ipairs-err2", pcall(ipairs, "x"))
print("pairs-err", pcall(pairs, nil))
print("next-err", pcall(next, {}, "nokey"))
print("next", next({}), next({10}), type(next))
print("pairs-next", pairs({}) == next, select(3, pairs({})))
local iter = ipairs({})
print("ipairs-iter", iter == ipairs({}), select(3, ipairs({})))
local seq = {}
for i, v in ipairs({"a", "b", nil, "d"}) do seq[#seq + 1] = i .. v end
print("ipairs", table.concat(seq, ","))
local keys = {}
for k in pairs({x = 1, y = 2, z = 3, 10, 20}) do keys[#keys + 1] = tostring(k) end
table.sort(keys)
print("pairs", table.concat(keys, ","))
print("loadstring", pcall(loadstring("error('in chunk')")))
print("loadstring2", pcall(loadstring("local x = 1\nerror('line two')")))
print("loadstring3", pcall(loadstring("error('named')", "=mychunk")))
print("loadstring4", pcall(loadstring("error('at')", "@file.lua")))
print("loadstring5", pcall(loadstring(string.rep("x", 50) .. " = 1; error('long')")))
print("loadstring6", loadstring("return 1 + 1")())
local erase = {a = 1, b = 2, c = 3, d = 4, [1] = "x", [2] = "y"}
local seen = 0
for k in pairs(erase) do erase[k] = nil; seen = seen + 1 end
print("erase-during-pairs", seen, next(erase))
print("getinfo-source", debug.getinfo(loadstring("return 1")).source, debug.getinfo(loadstring("return 1", "=named")).short_src)
