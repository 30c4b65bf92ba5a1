-- Multiple assignment in PUC's order: the object and key of each indexed
-- target, then every right-hand expression, then the stores right to left.
-- gopher-lua compiles right-hand expressions into local targets directly
-- (upstream issue #440); luahost/dialect lowers these statements.
local a, b = 0, 1
for i = 1, 10 do a, b = b, a + b end
print("fib", a, b)
local x, y, z = 1, 2, 3
x, y, z = y, z, x
print("rotate3", x, y, z)
local acc, i = {}, 1
acc[i], i = i, i + 1
acc[i], i = i, i + 1
print("indexed-key", acc[1], acc[2], acc[3], i)
local t, j = {}, 1
j, t[j] = 5, 10
print("indexed-earlier-local", t[1], t[5], j)
local k = 1
local function bump() k = 2 return 0 end
k, t[k] = bump(), 20
print("indexed-key-read-at-store", t[1], t[2], k)
local u = {}
local function swapu() u = {} return 1 end
u.f, x = swapu(), 0
print("indexed-object-local", u.f)
local tab = {}
g = 1
local function bumpg() g = 2 return 5 end
tab[g], x = bumpg(), 0
print("indexed-key-global", tab[1], tab[2], g)
gt = {}
local old = gt
local function swapg() gt = {} return 7 end
gt.v, x = swapg(), 0
print("indexed-object-global", old.v, gt.v)
g1, g2 = 1, 2
g1, g2 = g2, g1
print("globals", g1, g2)
local function up()
  local p, q = 1, 2
  return function() p, q = q, p return p, q end
end
print("upvalues", up()())
local q1 = 1
q1, q1 = 3, 4
print("same-local", q1)
local same = {}
same.x, same.x = 1, 2
print("same-field", same.x)
local function three() return 1, 2, 3 end
local m1, m2, m3
m1, m2, m3 = three()
print("multret", m1, m2, m3)
m1, m2, m3 = 0, three()
print("multret-tail", m1, m2, m3)
m1, m2, m3 = (three())
print("multret-paren", m1, m2, m3)
m1, m2 = 7
print("fewer-values", m1, m2)
local cnt = 0
local function side() cnt = cnt + 1 return cnt end
m1, m2 = side(), side(), side()
print("extra-values", m1, m2, cnt)
local function va(...) local r1, r2; r1, r2 = ... return r1, r2 end
print("vararg", va(8, 9, 10))
local log = {}
local mt = {__newindex = function(tt, kk, v) log[#log + 1] = kk .. "=" .. tostring(v) rawset(tt, kk, v) end}
local p1, p2 = setmetatable({}, mt), setmetatable({}, mt)
p1.a, p2.b, p1.c = 1, 2, 3
print("store-order", table.concat(log, " "))
local ev = {}
local function e(n) ev[#ev + 1] = n return n end
local tt = {}
tt[e("k1")], tt[e("k2")] = e("v1"), e("v2")
print("eval-order", table.concat(ev, " "))
local fibt = {1, 1}
for n = 3, 8 do fibt[n], fibt[n - 1] = fibt[n - 1] + fibt[n - 2], fibt[n - 1] end
print("table-fib", table.concat(fibt, ","))
print("err-local", pcall(function() local v; v.x, v.y = 1, 2 end))
print("err-global", pcall(function() nilglobal.x, x = 1, 2 end))
print("err-field", pcall(function() local w = {} w.a.b, w.c = 1, 2 end))
print("err-lines", pcall(function()
  local v
  v.x,
  v.y = 1,
  2
end))
print("err-rhs", pcall(function() local r, s = 1, nil; r, s = s + 1, r end))
