-- A host without datasources says so.

function TestNoDatasources(t)
  local ok, err = pcall(msys.db.query, "ecdb", "SELECT 1")
  if ok or not string.find(err, "no datasources are configured", 1, true) then t:error("query: " .. tostring(err)) end
  local r, e = msys.db.execute("ecdb", "SELECT 1", nil, { raise_error = false })
  if r ~= false or not string.find(e, "no datasources are configured", 1, true) then t:error("execute: " .. tostring(e)) end
end
