-- msys.os: file system snapshots.

require("msys.os")

function TestStatvfs(t)
  local sub = msys.os.statvfs_subscribe("/", 60)
  local st, err = msys.os.statvfs_read(sub)
  if st == nil then t:fatal("read: " .. tostring(err)) end
  if not (st["kilobytes_total"] > 0 and st.kilobytes_available <= st.kilobytes_total) then
    t:error("sizes: " .. st.kilobytes_available .. " of " .. st.kilobytes_total)
  end
  if st.objects_total < st.objects_available then t:error("objects") end
  local again = msys.os.statvfs_read(sub)
  if again.version ~= st.version then t:error("a read within the interval is the same snapshot") end
  local bad = msys.os.statvfs_subscribe("/no/such/path/here", 0)
  local v, e = msys.os.statvfs_read(bad)
  if v ~= nil or not string.find(e, "statvfs /no/such/path/here", 1, true) then t:error("missing path: " .. tostring(e)) end
end
