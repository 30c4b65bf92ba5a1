-- Tail calls in tracebacks, getinfo and error positions.
local function a() return debug.traceback("tc") end
local function b() return a() end
print(b())
local function c(n) if n == 0 then return debug.traceback("deep tc") end return c(n - 1) end
print(c(3))
local function d() local x = debug.getinfo(1, "nSl") return x.name, x.namewhat, x.what, x.currentline end
local function e() return d() end
print(e())
print(pcall(function() local function f() local t; return t.x end local function g() return f() end return g() end))
local function thrower() error("from tail", 2) end
local function tailer() return thrower() end
print("err-level-tail", pcall(tailer))
local function gi() return debug.getinfo(2, "Sl") end
local function gt() return gi() end
local info = gt()
print("getinfo-tail", info.what, info.short_src, info.currentline, info.source)
