-- msys.threadpool over the runInPool pools.

require("msys.threadpool")

function TestPools(t)
  local n = msys.threadpool.count()
  if n < 8 then t:error("Momentum's standard pools: " .. n) end
  local id = msys.threadpool.find("IO")
  if type(id) ~= "number" then t:fatal("find(IO) = " .. tostring(id)) end
  if msys.threadpool.find(id) ~= "IO" then t:error("find by id") end
  if msys.threadpool.find("nowhere") ~= nil then t:error("unknown pool") end
  local before = msys.threadpool.stat("IO").invocations
  msys.runInPool("IO", function() return 1 end)
  msys.runInPool(id, function() return 1 end)
  local s = msys.threadpool.stat("IO")
  if s.invocations ~= before + 2 then t:error("invocations " .. s.invocations) end
  if s.num_threads ~= 50 or s.name ~= "IO" then t:error("IO: " .. s.num_threads .. " " .. s.name) end
  if s.job_num_running ~= 0 then t:error("nothing runs now") end
  if msys.threadpool.stat("nowhere") ~= nil then t:error("stat of an unknown pool") end
end
