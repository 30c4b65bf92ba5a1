-- debug.traceback and xpcall handlers: the layout of stack tracebacks.
print("plain", debug.traceback())
print("msg", debug.traceback("message"))
print("num", debug.traceback(42))
print("nonstr", debug.traceback({}) ~= nil, type(debug.traceback({})), debug.traceback(nil))
print("level0", debug.traceback("l0", 0))
print("level2", debug.traceback("l2", 2))
local function inner() return debug.traceback("from inner") end
local function outer() local r = inner() return r end
print("nested", outer())
local t = {}
function t.field() return debug.traceback("field") end
function t:method() return debug.traceback("method") end
print("field", t.field())
print("method", t:method())
local anon = (function() return function() return debug.traceback("anon") end end)()
print("anon", anon())
print("xpcall", xpcall(function() error("boom") end, debug.traceback))
local function failing(n) if n == 0 then error("deep") end failing(n - 1) end
print("xpcall-deep", xpcall(function() failing(3) end, debug.traceback))
print("xpcall-long", xpcall(function() failing(30) end, debug.traceback))
print("xpcall-handler", xpcall(function() error("x") end, function(m) return "handled: " .. m end))
print("xpcall-bad", xpcall(function() error("x") end, function(m) error("again") end))
print("xpcall-nil", xpcall(function() error("x") end, nil))
print("xpcall-ok-nil", xpcall(function() return 1 end, nil))
print("xpcall-nf", xpcall(42, function(m) return "H " .. m end))
local co = coroutine.create(function() coroutine.yield() end)
coroutine.resume(co)
print("thread", debug.traceback(co))
print("thread-msg", debug.traceback(co, "co msg"))
print("pcall-tb", pcall(debug.traceback, "via pcall"))
print("sort-tb", (function() local r table.sort({2, 1}, function(a, b) r = r or debug.traceback("in sort") return a < b end) return r end)())
print("thread-new", debug.traceback(coroutine.create(function() end), "fresh"))
local dead = coroutine.create(function() end)
coroutine.resume(dead)
print("thread-dead", debug.traceback(dead, "dead"))
print("thread-level", debug.traceback(co, "lvl1", 1))
local co2 = coroutine.create(function() local function deep(n) if n == 0 then coroutine.yield() else deep(n - 1) end end deep(20) end)
coroutine.resume(co2)
print("thread-deep", debug.traceback(co2, "deep"))
-- Operations luahost/dialect runs as host functions have no frame of their own.
local function powf(x) return x ^ {} end
print("tb-pow", xpcall(function() powf(2) end, debug.traceback))
local function forf(n) for i = 1, n do end end
print("tb-for", xpcall(function() forf("x") end, debug.traceback))
local function catf(s) return s .. {} end
print("tb-concat", xpcall(function() catf("a") end, debug.traceback))
print("tb-powmeta", (2 ^ setmetatable({}, {__pow = function() return debug.traceback("in __pow") end})))
local function massign() local a; a.x, a.y = 1, 2 end
print("tb-assign", xpcall(massign, debug.traceback))
