-- Metamethods, including __concat through the lowered concatenation.
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x}, V) end
V.__eq = function(a, b) return a.x == b.x end
V.__lt = function(a, b) return a.x < b.x end
V.__le = function(a, b) return a.x <= b.x end
V.__unm = function(a) return setmetatable({x = -a.x}, V) end
V.__call = function(self, y) return self.x + y end
V.__tostring = function(self) return "V(" .. self.x .. ")" end
V.__concat = function(a, b)
  local as = type(a) == "table" and "V" .. a.x or tostring(a)
  local bs = type(b) == "table" and "V" .. b.x or tostring(b)
  return as .. "+" .. bs
end
local function new(x) return setmetatable({x = x}, V) end
local p, q = new(1), new(2)
print((p + q).x, p == new(1), p < q, p <= q, q < p, (-p).x, p(10))
print(tostring(p))
print(p .. "s", "s" .. p, p .. q, "a" .. "b" .. p, p .. "a" .. "b", 1 .. p)
print("a" .. p .. "b" .. q .. "c")
local ni = setmetatable({}, {__newindex = function(t, k, v) rawset(t, k, v * 2) end})
ni.a = 5
print(ni.a, rawget(ni, "a"))
print(rawequal(p, new(1)), rawequal(p, p))
