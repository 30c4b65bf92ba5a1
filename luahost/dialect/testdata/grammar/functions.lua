-- Closures, upvalues, recursion, varargs, tail calls, pcall/error.
local function counter()
  local n = 0
  return function() n = n + 1 return n end, function() return n end
end
local inc, get = counter()
inc(); inc()
print(get())

local fns = {}
for i = 1, 3 do fns[i] = function() return i end end
print(fns[1](), fns[2](), fns[3]())

local shared = 0
local function outer()
  local function inner() shared = shared + 1 return shared end
  return inner() + inner()
end
print(outer(), shared)

local function tail(k) if k == 0 then return "done" end return tail(k - 1) end
print(tail(10000))

local function sum(...)
  local s = 0
  for i = 1, select("#", ...) do s = s + (select(i, ...)) end
  return s
end
print(sum(), sum(1), sum(1, 2, 3, 4))

print(pcall(error, "plain", 0))
print(select(2, pcall(function() error({code = 1}) end)).code)
print(select(2, pcall(function() error("positioned") end)))
local ok, err = pcall(function() local t = nil; return t.x end)
print(ok)

local mt = {__index = function(t, k) return k .. "!" end}
local prox = setmetatable({}, mt)
print(prox.hello, prox[1])

local a = {}
local function setfenv_test()
  return type(getfenv(1))
end
print(setfenv_test())

print(string.format("%s %s", unpack({"un", "pack"})))
local co = coroutine.create(function(x, y)
  local z = coroutine.yield(x + y)
  return z * 2
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.resume(co, 10))
print(coroutine.status(co))
