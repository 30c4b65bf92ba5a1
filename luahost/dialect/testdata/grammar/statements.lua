-- Every Lua 5.1 statement form.
local a
local b, c = 1, 2
local d, e, f = 1
local g = 1, 2, 3
print(a, b, c, d, e, f, g)

x, y = 10, 20
x, y = y, x
print(x, y)

local t = {}
t.a = 1; t["b"] = 2; t[3] = 3
t.sub = {deep = {}}
t.sub.deep.v = "v"
t.sub["deep"]["w"] = "w"
print(t.a, t.b, t[3], t.sub.deep.v, t.sub.deep.w)

local i = 1
local acc = {}
acc[i], acc[i + 1] = i, i + 1
print(acc[1], acc[2])

do
  local a = "inner"
  print(a)
end
print(a)

if b == 1 then print("if") end
if b == 2 then print("no") else print("else") end
if b == 2 then print("no") elseif c == 2 then print("elseif") else print("no") end
if b == 2 then print("no") elseif c == 3 then print("no") elseif c == 2 then
  print("second elseif")
end

local n = 0
while n < 5 do n = n + 1 end
print(n)
while true do
  n = n + 1
  if n > 8 then break end
end
print(n)

repeat n = n - 1 until n < 3
print(n)
repeat
  local stop = n <= 0
  n = n - 1
until stop
print(n)
repeat break until false

for k = 1, 3 do io.write(k, " ") end print()
for k = 3, 1, -1 do io.write(k, " ") end print()
for k = 1, 10, 4 do io.write(k, " ") end print()
for k = 1, 0 do print("never") end
for k = 1, 10 do if k == 4 then break end io.write(k, ";") end print()

local list = {"a", "b", "c"}
for idx, v in ipairs(list) do io.write(idx, "=", v, " ") end print()
local keys = {}
for k in pairs({p = 1, q = 2, r = 3}) do keys[#keys + 1] = k end
table.sort(keys)
print(table.concat(keys, ","))
local function range(m)
  return function(_, last)
    if last < m then return last + 1 end
  end, nil, 0
end
for v in range(4) do io.write(v, ",") end print()
for a, b, c in function(s, v) if v < 2 then return v + 1, "b", "c" end end, nil, 0 do
  print(a, b, c)
end
for _, v in ipairs(list) do
  for _, w in ipairs(list) do
    if w == "b" then break end
    io.write(v, w, " ")
  end
end
print()

function globalfn() return "global" end
local function localfn() return "local" end
local mod = {sub = {}}
function mod.f() return "mod.f" end
function mod.sub.g() return "mod.sub.g" end
function mod.sub:h() return self == mod.sub end
print(globalfn(), localfn(), mod.f(), mod.sub.g(), mod.sub:h())

local function fact(k) if k <= 1 then return 1 end return k * fact(k - 1) end
print(fact(10))

local function nothing() return end
local function many() return 1, 2, 3 end
print(nothing(), many())
print((many()))
print(select("#", nothing()), select("#", many()))

;(print)("semicolon call")
local s = "x"; local u = "y"; print(s, u);
do return print("return at chunk end") end
