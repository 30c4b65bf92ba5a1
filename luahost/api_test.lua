-- The functions luahost itself gives scripts: require, msys.registerModule
-- and print.

function TestRequireReturnsNamespaces(t)
  if require("msys") ~= msys then t:error("require('msys') must return the msys table") end
  if require("msys") ~= require("msys") then t:error("repeated require must return the same table") end
  local ok, err = pcall(require, "msys.nowhere")
  if ok or not string.find(err, "module 'msys.nowhere' not found", 1, true) then
    t:error("missing module: " .. tostring(err))
  end
end

function TestRegisterModuleChecksItsArguments(t)
  local ok, err = pcall(msys.registerModule, "m")
  if ok or not string.find(err, "bad argument #2 to '?' (table expected, got no value)", 1, true) then
    t:error("registerModule without a table: " .. tostring(err))
  end
  ok, err = pcall(msys.registerModule, nil, {})
  if ok or not string.find(err, "bad argument #1 to '?' (string expected, got nil)", 1, true) then
    t:error("registerModule without a name: " .. tostring(err))
  end
end

-- Registrations are frozen once the scripts have loaded: a module that
-- registers from a hook would otherwise grow one state's chain on every
-- call.
function TestRegisterModuleIsFrozenAfterLoad(t)
  local ok, err = pcall(msys.registerModule, "late", { smpp_handle_DR_positive = function() return 0 end })
  if ok or not string.find(err, 'msys.registerModule("late"): modules register while the scripts load', 1, true) then
    t:error("registering at run time: " .. tostring(err))
  end
end

function TestPrintUsesTostring(t)
  local seen
  local saved = tostring
  tostring = function(v) seen = v return saved(v) end
  print(setmetatable({}, { __tostring = function() return "custom" end }))
  tostring = saved
  if seen == nil then t:error("print must call the global tostring, as PUC's does") end
  local ok, err = pcall(print, setmetatable({}, { __tostring = function() return 42 end }))
  if ok or not string.find(err, "'tostring' must return a string to 'print'", 1, true) then
    t:error("a __tostring returning a number: " .. tostring(err))
  end
end
