-- newproxy: plain, with a metatable, sharing a proxy's, and its errors.
local p = newproxy(true)
print("np", type(p), type(getmetatable(p)), getmetatable(newproxy()) , getmetatable(newproxy(false)))
local q = newproxy(p)
print("np", getmetatable(q) == getmetatable(p))
print("np", pcall(newproxy, {}))
print("np", pcall(newproxy, newproxy()))
print("np", pcall(newproxy, io.stdout))
print("np", pcall(newproxy, 1))
