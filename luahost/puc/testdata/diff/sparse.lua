-- Sparse integer keys read and iterate as in PUC; what they cost in
-- memory and time differs (DIFFERENCES.md: sparse integer keys).
local t = {}
t[1000000] = "far"
t[2^30] = "farther"
t[-5] = "negative"
print("read", t[1000000], t[2^30], t[-5], t[999999], rawget(t, 1000000))
local keys = {}
for k, v in pairs(t) do keys[#keys + 1] = string.format("%.0f=%s", k, v) end
table.sort(keys)
print("pairs", table.concat(keys, " "))
t[1000000] = nil
print("cleared", t[1000000], next({[2^40] = 1}))
local ids = {}
for _, id in ipairs({2000003, 12, 99991, 2^31 - 1}) do ids[id] = true end
local n = 0
for id in pairs(ids) do n = n + 1 end
print("ids", n, ids[2000003], ids[2^31 - 1], ids[13])
