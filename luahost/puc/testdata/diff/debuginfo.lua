-- debug.getinfo fields, names and kinds of calls; os.setlocale.
local function show(label, i)
  if i == nil then print(label, "nil") return end
  local keys = {}
  for k in pairs(i) do if k ~= "func" and k ~= "activelines" then keys[#keys + 1] = k end end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(i[k]) end
  print(label, table.concat(parts, " "))
end
local function here() return debug.getinfo(2) end
show("caller", here())
local function lvl1() return debug.getinfo(1) end
show("local", lvl1())
function globalfn() return debug.getinfo(1, "n") end
show("global", globalfn())
local obj = {}
function obj.field() return debug.getinfo(1, "nS") end
function obj:method() return debug.getinfo(1, "nl") end
show("field", obj.field())
show("method", obj:method())
local up = function() return debug.getinfo(1, "n") end
local function viaup() return up() end
show("upvalue", viaup())
show("tail", (function() return debug.getinfo(1, "n") end)())
show("main", debug.getinfo(1))
show("level0", debug.getinfo(0, "nS"))
show("cfunc", debug.getinfo(print))
show("luafunc", debug.getinfo(show, "S"))
show("too-deep", debug.getinfo(50))
show("options", debug.getinfo(1, "l"))
print("activelines", type(debug.getinfo(show, "L").activelines), debug.getinfo(print, "L").activelines)
print("func", debug.getinfo(1, "f").func ~= nil, debug.getinfo(show, "f").func == show)
print("bad-option", pcall(debug.getinfo, 1, "q"))
print("bad-arg", pcall(debug.getinfo, "x"))
print("bad-arg2", pcall(debug.getinfo))
local t = {}
t.x = function() return debug.getinfo(1, "n") end
local r = {pcall(t.x)}
show("via-pcall", r[2])
show("sort-cmp", (function() local info table.sort({3, 1, 2}, function(a, b) info = info or debug.getinfo(1, "n") return a < b end) return info end)())
print("setlocale", os.setlocale(), os.setlocale("C"), os.setlocale("POSIX"), os.setlocale("xx_YY"), os.setlocale(nil, "numeric"))
print("setlocale-err", pcall(os.setlocale, "C", "bogus"))
local a, b = 1, 2
local function uses() return a .. b end
local function plain() return a + b end
print("nups", debug.getinfo(uses, "u").nups, debug.getinfo(plain, "u").nups, debug.getinfo(print, "u").nups)
