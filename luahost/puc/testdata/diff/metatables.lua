-- Metatables: metamethods, __metatable protection, tostring, rawget/rawequal.
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x}, V) end
V.__sub = function(a, b) return setmetatable({x = a.x - b.x}, V) end
V.__mul = function(a, b) if type(b) == "number" then return setmetatable({x = a.x * b}, V) end return a.x * b.x end
V.__div = function(a, b) return a.x / b.x end
V.__mod = function(a, b) return a.x % b.x end
V.__pow = function(a, b) return a.x ^ b end
V.__unm = function(a) return setmetatable({x = -a.x}, V) end
V.__eq = function(a, b) return a.x == b.x end
V.__lt = function(a, b) return a.x < b.x end
V.__le = function(a, b) return a.x <= b.x end
V.__concat = function(a, b)
  local l = type(a) == "table" and "V" .. a.x or a
  local r = type(b) == "table" and "V" .. b.x or b
  return l .. "&" .. r
end
V.__call = function(self, y) return self.x + y end
V.__tostring = function(self) return "V(" .. tostring(self.x) .. ")" end
V.__len = function(self) return 99 end
local function new(x) return setmetatable({x = x}, V) end
local a, b = new(3), new(4)
print("arith", tostring(a + b), tostring(a - b), a * b, tostring(a * 2), a / b, a % b, a ^ 2, tostring(-a))
print("cmp", a == b, a == new(3), a < b, a <= b, a > b, a >= b, a ~= b)
print("concat", a .. b, a .. "s", "s" .. b)
print("call", a(10), tostring(a), print == print)
print("len", rawequal(a, a), rawequal(a, new(3)), rawget(a, "x"), rawget(a, "missing"))
print("tostring", tostring(setmetatable({}, {__tostring = function() return "custom" end})))
print("tostring2", tostring(setmetatable({}, {__tostring = function() return 42 end})))
local P = setmetatable({}, {__metatable = "locked"})
print("protected", getmetatable(P), pcall(setmetatable, P, {}))
print("getmt", getmetatable({}), getmetatable(1), getmetatable(print))
local defaults = setmetatable({}, {__index = function(t, k) return k .. "!" end})
print("index-fn", defaults.foo, defaults[1], rawget(defaults, "foo"))
local log = {}
local proxy = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k .. "=" .. tostring(v); rawset(t, k, v) end})
proxy.a = 1; proxy.b = 2; proxy.a = 3
print("newindex", table.concat(log, ","), proxy.a)
local chain = setmetatable({}, {__index = setmetatable({mid = "m"}, {__index = {deep = "d"}})})
print("chain", chain.mid, chain.deep, chain.none)
print("setmt-err", pcall(setmetatable, 1, {}))
print("setmt-err2", pcall(setmetatable, {}, 1))
print("setmt-err3", pcall(setmetatable, {}))
print("setmt-ret", setmetatable({}, nil) ~= nil)
print("rawset", rawget(rawset({}, "k", "v"), "k"), pcall(rawset, {}, nil, 1))
print("rawget-err", pcall(rawget, "x", 1))
print("rawequal-err", pcall(rawequal, 1))
print("eq-diff", setmetatable({}, {__eq = function() return true end}) == setmetatable({}, {__eq = function() return true end}))
local eqf = function() return true end
print("eq-same", setmetatable({}, {__eq = eqf}) == setmetatable({}, {__eq = eqf}))
local tsw = setmetatable({}, {__tostring = function() return "TS" end})
print("print-meta", tsw, 1, tsw)
local old = tostring
tostring = function(v) return "<" .. old(v) .. ">" end
print("redefined", 1, "a", nil)
tostring = function() return nil end
local okp, errp = pcall(print, 1)
tostring = old
print("print-bad", okp, errp)
print("restored", 1)
print("type", type(nil), type(1), type("s"), type({}), type(print), type(coroutine.create(function() end)), pcall(type))
print("tostring-notfunc", pcall(tostring, setmetatable({}, {__tostring = "notfunc"})))
local savedts = tostring
tostring = 5
local okts, errts = pcall(print, 1)
tostring = savedts
print("print-notfunc", okts, errts)
local lt = setmetatable({}, {__lt = true})
print("lt-notfunc", pcall(table.sort, {lt, setmetatable({}, getmetatable(lt))}))
