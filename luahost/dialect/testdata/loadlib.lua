-- The load functions; DIR holds the files of loadlibFiles. Errors raised
-- inside a load reader are left out: lua5.1's standalone message handler
-- appends a traceback to them.
print(loadstring("x = = 1"))
print(loadstring("return 1 +", "=name"))
print(pcall(loadstring("error('boom')", "@some/file.lua")))
print(pcall(loadstring("local x = 1\nerror('two')")))
print(select(2, loadstring("x=", string.rep("a", 100))))
print(select(2, loadstring("x=", "=" .. string.rep("b", 100))))
print(select(2, loadstring("x=", "@" .. string.rep("c", 100))))
print(select(2, loadstring("x=", "two\nlines")))
print(loadstring("return ...")(1, 2))
print(loadstring("return 12")())
local parts = {"return ", "1 ", "+ 2"}
local i = 0
print(load(function() i = i + 1 return parts[i] end)())
local function once(s)
  local done
  return function() if not done then done = true return s end end
end
print(select(2, load(once("x ="))))
print(select(2, load(once("x ="), "=reader")))
print(type(load(function() return nil end)))
print(loadfile(DIR .. "/missing.lua"))
print(pcall(dofile, DIR .. "/missing.lua"))
print(dofile(DIR .. "/ok.lua"))
print(loadfile(DIR .. "/ok.lua")("arg"))
print(loadfile(DIR .. "/bad.lua"))
print(pcall(dofile, DIR .. "/bad.lua"))
print(pcall(dofile, DIR .. "/raise.lua"))
print(dofile(DIR .. "/shebang.lua"))
