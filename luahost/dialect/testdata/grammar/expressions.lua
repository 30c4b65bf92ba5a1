-- Every Lua 5.1 expression form and operator precedence.
print(1 + 2 * 3, (1 + 2) * 3, 7 - 2 - 1, 2 ^ 3 ^ 2, -2 ^ 2, 2 ^ -1)
print(7 % 3, -7 % 3, 7 % -3, 10 / 4, 9 / 3)
print(1 < 2, 1 <= 1, 2 > 3, 3 >= 3, 1 == 1, 1 ~= 1, "a" < "b", "abc" <= "abd")
print(not nil, not 0, not not false)
print(nil or "or", false and "x", 1 and 2, nil and 1, false or nil, 1 or error("no"))
print(1 < 2 and 2 < 3, not 1 == 2, not (1 == 2))
print(1 + 2 < 4 and "a" .. "b" == "ab" or "no")
print(#"hello", #{1, 2, 3}, #"", -(-3), - -3)
print("a" .. "b" .. "c", "n" .. 1 .. 2, 1 .. "", "x" .. 10)
print("10" + 1, "3" * "4", 10 .. 20, "0x10" + 0)
print(0xff, 0XA, 1e2, 1E-2 * 100, .5 * 2, 5. + 1, 3e0)
print(2^53 == 2^53 + 1, 10000000000000)

local t = {1, 2, 3; 4, n = "n", ["k" .. 1] = "k1", [10] = 10, {nested = true},}
print(t[4], t.n, t.k1, t[10], t[5].nested)
local e = {}
local f = {[1] = "a"; [2] = "b"}
print(#e, f[1], f[2])
local function three() return 1, 2, 3 end
local u = {three()}
local v = {three(), three()}
local w = {(three())}
local z = {three(), 10}
print(#u, #v, #w, #z)
local function pack(...) return {...}, select("#", ...) end
local p, np = pack(nil, 2, nil)
print(np, p[2])
local function va(...)
  local a, b = ...
  local all = {...}
  return a, b, #all, ...
end
print(va(1, 2, 3))
print((va(1, 2, 3)))
local function dots(...) return (...) end
print(dots("first", "second"))

local s = "text"
print(s:upper(), ("x"):rep(3), s:sub(2, 3), #s:rep(2))
print(string.format("%d|%5s|%-3d|", 42, "ab", 7))

local obj = {v = 5}
function obj:get(a) return self.v + (a or 0) end
function obj.static(a) return a end
print(obj:get(), obj:get(1), obj.static"str", obj.static{1}[1], obj.static[[long]])
print(type(print), type(nil), type({}), type("s"), type(2), type(true))

local fnt = {f = function() return function() return "curried" end end}
print(fnt.f()(), fnt["f"]()())
local function id(...) return ... end
print(id(id)(id)("chain"))
print((id)(1), ((id))(2))
