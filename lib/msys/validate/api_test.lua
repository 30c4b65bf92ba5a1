-- Lua tests: the msys.validate.* modules fail to load, naming what they need.

local function fails(t, name, want)
  local ok, err = pcall(require, name)
  if ok then
    t:error(name .. ": require succeeded")
  elseif not string.find(err, "module '" .. name .. "' is not available in msyshost: " .. want, 1, true) then
    t:error(name .. ": " .. err)
  end
end

function TestRequireNamesWhatIsMissing(t)
  fails(t, "msys.validate.dk", "needs Momentum's domainkeys module")
  fails(t, "msys.validate.dkim", "needs Momentum's dkim module")
  fails(t, "msys.validate.opendkim", "needs Momentum's opendkim module")
  fails(t, "opendkim.dkim", "is the libopendkim binding")
  if msys.validate ~= nil then
    t:error("a failed require left msys.validate behind")
  end
end
