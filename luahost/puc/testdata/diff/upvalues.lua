-- Upvalues across caught errors: closures made in a failed call keep their
-- values, closures over a running function's locals keep sharing them.
local f
print("escaped", pcall(function() local x = "captured"; f = function() return x end; error("e") end))
local a, b, c, d = "o1", "o2", "o3", "o4"
local function g(p, q, r, s) local t, u, v = 1, 2, 3; return f() end
print("escaped-read", f(), g("p", "q", "r", "s"))
local h
print("escaped-vm", pcall(function() local y = "y-val"; h = function() return y end; local t = nil; return t.x end))
local z1, z2, z3 = "z1", "z2", "z3"
print("escaped-vm-read", h(), (function(a1, a2, a3) return h() end)("A", "B", "C"))
local count = 0
local inc = function() count = count + 1 end
pcall(error, "x")
inc()
count = count + 10
inc()
print("live-shared", count)
local total = 0
local function add(n) total = total + n end
for i = 1, 5 do
  pcall(function() add(i) if i % 2 == 0 then error("even") end end)
end
total = total * 2
add(1)
print("live-loop", total)
local k
print("xpcall-escaped", xpcall(function() local s = "xs"; k = function() return s end; error("x") end, function(m) return "h" end))
local q1, q2 = "q1", "q2"
print("xpcall-read", k(), (function(w) return k() end)("w"))
local shared = 0
local bump = function() shared = shared + 1 end
xpcall(function() bump() error("y") end, function(m) bump() return m end)
bump()
print("xpcall-live", shared)
local counters = {}
for i = 1, 3 do
  pcall(function() local n = i * 10; counters[i] = function() n = n + 1; return n end; error("loop") end)
end
print("escaped-loop", counters[1](), counters[2](), counters[3](), counters[1]())
local nested
print("nested", pcall(function()
  local outer = "outer"
  local ok = pcall(function() local inner = "inner"; nested = function() return inner, outer end; error("in") end)
  outer = "changed"
  error("out")
end))
local r1, r2 = nested()
print("nested-read", r1, r2)
local cofn
local co = coroutine.create(function() local cv = "co-val"; cofn = function() return cv end; error("co") end)
print("coroutine", coroutine.resume(co))
print("coroutine-read", cofn())
