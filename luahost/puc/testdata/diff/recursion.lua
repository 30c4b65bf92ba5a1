-- Deep recursion as PUC 5.1 allows it, and what a stack overflow reports:
-- the message, and the traceback xpcall's handler sees where it happened.
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print("depth", depth(200), depth(5000), depth(12000))
local function walk(t, n) if n == 0 then return t end return walk({t}, n - 1) end
local nested = walk({}, 3000)
local function count(t) if t[1] == nil then return 0 end return 1 + count(t[1]) end
print("walk", count(nested))
-- A method chain and mutual recursion.
local obj = {}
function obj:down(n) if n == 0 then return "bottom" end return self:down(n - 1) end
print("method", obj:down(8000))
local odd
local function even(n) if n == 0 then return true end return odd(n - 1) end
function odd(n) if n == 0 then return false end return even(n - 1) end
print("mutual", even(9001), odd(9001))

local function runaway(n) return 1 + runaway(n + 1) end
print("pcall", pcall(runaway, 1))
local ok, trace = xpcall(runaway, debug.traceback)
print("xpcall", ok)
print(trace)
-- Coroutines resuming coroutines nest C calls, which PUC bounds.
local nest = function(f) coroutine.wrap(f)(f) end
local ok, e = pcall(nest, nest)
local _, levels = e:gsub("recursion.lua:%d+: ", "")
print("nested resumes", ok, levels, e:sub(-16))
local function resumeDeeper(n)
  local co = coroutine.create(function() return resumeDeeper(n + 1) end)
  local ok, r = coroutine.resume(co)
  if not ok then return n, r end
  return r
end
print("resume depth", resumeDeeper(1))
