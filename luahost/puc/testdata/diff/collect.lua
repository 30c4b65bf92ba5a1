-- Weak tables lose unreachable entries at a collection, finalizers of
-- unreachable userdata run (newest first, once), gcinfo and count measure
-- the heap and fall after a collection, step reports the end of a cycle.
local function count(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end
local function fill(t, n) for i = 1, n do t[{}] = i end end
local wk = setmetatable({}, {__mode = "k"})
fill(wk, 100)
local keep = {}
wk[keep] = "kept"
wk["str"] = {}
print("before", count(wk))
collectgarbage()
print("after", count(wk), wk[keep], type(wk.str))
local wv = setmetatable({}, {__mode = "v"})
for i = 1, 50 do wv[i] = {} end
wv.x = keep
wv.s = "string stays"
collectgarbage()
print("weak values", count(wv), wv.x == keep, wv.s)
local wkv = setmetatable({}, {__mode = "kv"})
wkv[1] = {} wkv[{}] = 1 wkv[keep] = keep wkv.f = function() end
collectgarbage()
print("weak kv", count(wkv), wkv[keep] == keep)
-- cache pattern
local cache = setmetatable({}, {__mode = "v"})
local function get(k) local v = cache[k] if not v then v = {k} cache[k] = v end return v end
for i = 1, 1000 do get(i % 10) end
local held = get(3)
collectgarbage()
print("cache", count(cache), cache[3] == held)
-- __gc on newproxy
local log = {}
do
  local p = newproxy(true)
  getmetatable(p).__gc = function(o) log[#log + 1] = "gc " .. tostring(o == p) end
  local q = newproxy(p)
  local r = newproxy(true)
  getmetatable(r).__gc = function() log[#log + 1] = "r" end
end
collectgarbage()
collectgarbage()
print("finalized", #log, log[1], log[2], log[3])
local alive = newproxy(true)
getmetatable(alive).__gc = function() print("never") end
collectgarbage()
print("gcinfo", type(gcinfo()), gcinfo() > 0, collectgarbage("count") > 0, collectgarbage("step"))
print("err", pcall(function() local u = newproxy(true) getmetatable(u).__gc = function() error("in gc") end u = nil collectgarbage() end))
-- Waiting for the collector: count falls, a step loop ends.
local before = collectgarbage("count")
for i = 1, 20000 do local t = {i} end
collectgarbage()
print("count falls", collectgarbage("count") < before + 200)
local steps = 0
repeat steps = steps + 1 until collectgarbage("step", 0) or steps > 100000
print("steps end", steps < 100000, collectgarbage("step", 100000))
-- Files nobody closes are closed by the collector.
local name = os.tmpname()
do
  local f = assert(io.open(name, "w"))
  f:write("written but never closed")
end
collectgarbage()
local r = assert(io.open(name))
print("flushed by __gc", r:read("*a"))
r:close()
os.remove(name)
print("io __gc", pcall(getmetatable(io.stdout).__gc))
