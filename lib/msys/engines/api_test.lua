-- Modules that need an engine msyshost cannot have: require fails at once
-- and says what is missing.

local function needs(t, name, what)
  local ok, err = pcall(require, name)
  if ok then
    t:error(name .. " loaded")
  elseif not string.find(err, "module '" .. name .. "' is not available in msyshost: needs " .. what, 1, true) then
    t:error(name .. ": " .. tostring(err))
  end
end

function TestVendorEngines(t)
  needs(t, "msys.cloudmark", "the Cloudmark Authority anti-spam engine")
  needs(t, "msys.av", "an antivirus engine")
  needs(t, "msys.brightmail", "the Symantec Brightmail")
  needs(t, "msys.expurgate", "the eleven eXpurgate")
  needs(t, "msys.validate.opendkim", "Momentum's OpenDKIM module")
  needs(t, "msys.gcm", "Google's push gateway")
  -- A second require fails as PUC's does after a loader's error.
  local ok, err = pcall(require, "msys.cloudmark")
  if ok or not string.find(err, "loop or previous error loading module 'msys.cloudmark'", 1, true) then
    t:error("second require: " .. tostring(err))
  end
  if msys.cloudmark ~= nil then t:error("no msys.cloudmark table may exist") end
end
