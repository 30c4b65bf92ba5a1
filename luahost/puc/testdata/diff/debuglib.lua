-- The debug library beyond getinfo and traceback: locals in scope only
-- (and temporaries), on other threads too; upvalues as PUC numbers them
-- (operators the front-end lowers add none); environments, metatables,
-- the registry; hooks are absent and removing them works.
local function locals(level)
  local out, i = {}, 1
  while true do
    local name, value = debug.getlocal(level + 1, i)
    if not name then break end
    local shown = (type(value) == "string" or type(value) == "number") and value or type(value)
    if name ~= "(*temporary)" then out[#out + 1] = name .. "=" .. shown end
    i = i + 1
  end
  return table.concat(out, " ")
end
local function f(a, b, ...)
  do local inner = "gone" end
  local x = a .. b
  print("f", locals(1))
  for i = 1, 1 do
    local inloop = i * 2
    print("loop", locals(1))
  end
  for k, v in pairs({p = 1}) do print("generic", locals(1)) end
  print("after", locals(1))
  print("set", debug.setlocal(1, 3, "changed"), x, debug.setlocal(1, 40, 0))
  print("temps", debug.getlocal(1, 4), select("#", debug.getlocal(1, 30)))
  return x
end
f("a", "b", "extra")
print("level", pcall(debug.getlocal, 40, 1))
print("zero", select("#", debug.getlocal(1, 0)), select("#", debug.getlocal(1, -1)))

local co = coroutine.create(function(p, q)
  local r = p + q
  coroutine.yield(r)
  local s = "after yield"
  coroutine.yield(s)
end)
coroutine.resume(co, 3, 4)
print("thread", debug.getlocal(co, 1, 1), debug.getlocal(co, 1, 3))
print("thread set", debug.setlocal(co, 1, 3, 70), debug.getlocal(co, 1, 3))
coroutine.resume(co)
print("thread later", debug.getlocal(co, 1, 4))
print("thread level", pcall(debug.getlocal, co, 5, 1))

local up1, up2 = "one", 2
local function g() return up1 .. up2 .. (up2 ^ 2) end
print("upvalues", debug.getupvalue(g, 1), debug.getupvalue(g, 2), select("#", debug.getupvalue(g, 3)))
print("setupvalue", debug.setupvalue(g, 1, "uno"), g(), select("#", debug.setupvalue(g, 9, 0)))
print("go upvalues", select("#", debug.getupvalue(print, 1)))
print("bad upvalue", pcall(debug.getupvalue, 1, 1))

print("fenv", debug.getfenv(g) == _G, debug.getfenv(print) == _G, debug.getfenv({}), debug.getfenv(1))
local env = {print = print}
print("setfenv", debug.setfenv(g, env) == g, debug.getfenv(g) == env, pcall(debug.setfenv, 1, {}))
print("setfenv go", select("#", pcall(debug.setfenv, print, _G)), debug.setfenv(print, _G) == print)
print("setmetatable", debug.setmetatable(10, {__index = {double = function(n) return n * 2 end}}), (5):double())
debug.setmetatable(10, nil)
print("registry", type(debug.getregistry()), debug.getregistry() == debug.getregistry())
print("gethook", debug.gethook())
print("sethook off", debug.sethook(), debug.gethook())
-- Names in runtime errors follow the same scopes: a local whose block
-- ended on the same line no longer names its register.
for _, src in ipairs({"a={}; do local a=1 end a:bbbb(3)", "local t = nil; t.x = 1",
    "do local t = {} end local u; u.x = 1", "for i = 1, 1 do local v end local w = nil; w()",
    "local up; local function f() missing(function() up = 0 end) end f()"}) do
  print("scope error", pcall(loadstring(src, "=chunk")))
end
-- Other threads' frames as PUC shows them: coroutine.yield at level 0,
-- tail calls, the function that raised the error that killed one.
local function down(n) if n > 0 then return down(n - 1) else coroutine.yield() end end
local tc = coroutine.create(down)
coroutine.resume(tc, 3)
print(debug.traceback(tc))
print("yield level", debug.getinfo(tc, 0, "S").what, debug.getinfo(tc, 1, "S").what, debug.getinfo(tc, 5))
local function fails(i) if i == 0 then error(i) else coroutine.yield() fails(i - 1) end end
local dc = coroutine.create(function(x) fails(x) end)
coroutine.resume(dc, 1)
print(debug.traceback(dc))
coroutine.resume(dc)
print(debug.traceback(dc))
local function tailenv() return (function() return pcall(getfenv, 3) end)() end
print("tail level env", tailenv())
