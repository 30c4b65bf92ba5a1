-- strict.lua: makes reading or assigning an undeclared global an error, as
-- the stock Lua 5.1 etc/strict.lua does. Globals assigned at a script's top
-- level (in the main chunk) or in C/Go code are declared; any other first
-- assignment, and any read of a global never assigned, raises an error.
-- Scripts use it with require("strict").

local getinfo, error, rawset, rawget = debug.getinfo, error, rawset, rawget

local mt = getmetatable(_G)
if mt == nil then
  mt = {}
  setmetatable(_G, mt)
end

mt.__declared = {}

local function what()
  local d = getinfo(3, "S")
  return d and d.what or "C"
end

mt.__newindex = function(t, n, v)
  if not mt.__declared[n] then
    local w = what()
    if w ~= "main" and w ~= "C" then
      error("assign to undeclared variable '" .. n .. "'", 2)
    end
    mt.__declared[n] = true
  end
  rawset(t, n, v)
end

mt.__index = function(t, n)
  if not mt.__declared[n] and what() ~= "C" then
    error("variable '" .. n .. "' is not declared", 2)
  end
  return rawget(t, n)
end
