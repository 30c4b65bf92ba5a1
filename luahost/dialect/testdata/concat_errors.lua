-- Runtime errors of .. in plain Lua: message and line must match lua5.1.
local function try(f) print(select(2, pcall(f))) end
local t = {sub = {}}
local up
try(function() return "a" .. undefined end)
try(function() local y return y .. "a" end)
try(function() return "a" .. t.missing end)
try(function() return t.sub.deeper .. "a" end)
try(function() return t[1] .. "a" end)
try(function() local k = "key" return t[k] .. "a" end)
try(function() return up .. "a" end)
try(function() return {} .. "a" end)
try(function() return "a" .. {} end)
try(function() return "a" .. true .. "b" end)
try(function() return nil .. "a" end)
try(function() return (undefined) .. "a" end)
try(function() return "a" .. (function() end)() end)
try(function()
  return "first line" ..
    "second line" ..
    undefined
end)
try(function()
  local s = undefined
    .. "x"
  return s
end)
try(function() return 1 .. 2 .. undefined .. 3 end)
try(function() local a, b = "x", nil return a .. b .. a end)
try(function() return t .. t end)
