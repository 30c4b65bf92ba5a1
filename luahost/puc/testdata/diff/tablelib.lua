-- table.concat/insert/remove/sort/maxn/getn, unpack, and their errors.
local function dump(label, t, n)
  local parts = {}
  for i = 1, n or #t do parts[#parts + 1] = tostring(t[i]) end
  print(label, n and "-" or #t, table.concat(parts, ","))
end
print("concat1", table.concat({1, 2, 3}), table.concat({1, 2, 3}, ", "), table.concat({}, "x"))
print("concat2", table.concat({"a", "b", "c"}, "-", 2), table.concat({"a", "b", "c"}, "-", 2, 3), table.concat({"a", "b"}, "-", 3))
print("concat3", table.concat({1.5, 1/3, 1e15, 2^53}, " "), table.concat({"a", "b"}, 1))
print("concat4", pcall(table.concat, {"a", "b", "c"}, "", -1, 1))
print("concat5", pcall(table.concat, {"a", "b"}, "", 0, 1))
print("concat6", pcall(function() return table.concat({1, {}}) end))
print("concat-err1", pcall(table.concat, {1, {}, 3}))
print("concat-err2", pcall(table.concat, {1, 2}, ",", 1, 3))
print("concat-err3", pcall(table.concat, {true}))
print("concat-err4", pcall(table.concat))
print("concat-err5", pcall(table.concat, {}, {}))
local t = {}
table.insert(t, "a")
table.insert(t, "b")
table.insert(t, 1, "c")
table.insert(t, 2, "d")
dump("insert1", t)
table.insert(t, 10, "z")
dump("insert2", t, 10)
print("insert-err1", pcall(table.insert, {}, 1, 2, 3))
print("insert-err2", pcall(table.insert, {}))
print("insert-err3", pcall(table.insert, nil, 1))
print("insert-err4", pcall(table.insert, {}, "x", 1))
local r = {1, 2, 3, 4, 5}
print("remove1", table.remove(r), table.remove(r, 1), table.remove(r, 2))
dump("remove2", r)
print("remove3", table.remove({}), select("#", table.remove({})), select("#", table.remove({1}, 5)))
print("remove4", table.remove({1, 2, 3}, 0), table.remove({1, 2, 3}, "2"))
print("remove-err", pcall(table.remove))
local s = {5, 2, 8, 1, 9, 3, 7, 4, 6, 0}
table.sort(s)
dump("sort1", s)
table.sort(s, function(a, b) return a > b end)
dump("sort2", s)
local words = {"pear", "Apple", "fig", "banana", "apple", "Fig"}
table.sort(words)
dump("sort3", words)
-- Ties: the order of equal keys shows the algorithm.
local recs = {}
for i = 1, 20 do recs[i] = {k = i % 4, id = i} end
table.sort(recs, function(a, b) return a.k < b.k end)
local ids = {}
for i, rec in ipairs(recs) do ids[i] = rec.k .. ":" .. rec.id end
print("sort-stable", table.concat(ids, " "))
local big = {}
local seed = 7
for i = 1, 200 do seed = (seed * 31 + 11) % 1000; big[i] = {v = seed % 10, i = i} end
table.sort(big, function(a, b) return a.v < b.v end)
local sig = {}
for i = 1, 200, 7 do sig[#sig + 1] = big[i].i end
print("sort-big", table.concat(sig, ","))
print("sort-err1", pcall(table.sort, {3, "a", 1}))
print("sort-err2", pcall(table.sort, {{}, {}}))
print("sort-err3", pcall(table.sort, {1, 2, 3}, function(a, b) return true end))
print("sort-err4", pcall(table.sort, {1, 2}, 3))
print("sort-err5", pcall(table.sort))
local mt = {__lt = function(a, b) return a.v < b.v end}
local objs = {setmetatable({v = 3}, mt), setmetatable({v = 1}, mt), setmetatable({v = 2}, mt)}
table.sort(objs)
print("sort-lt", objs[1].v, objs[2].v, objs[3].v)
local ok = pcall(table.sort, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, function(a, b) return true end)
print("sort-bad", ok)
print("maxn", table.maxn({}), table.maxn({1, 2, 3}), table.maxn({[10] = 1, [2.5] = 2, x = 3}), table.maxn({[-1] = 1}))
print("getn", table.getn({1, 2, 3}), pcall(table.setn, {}, 3))
print("unpack1", unpack({1, 2, 3}))
print("unpack2", unpack({1, 2, 3}, 2))
print("unpack3", unpack({1, 2, 3}, 2, 5))
print("unpack4", select("#", unpack({}, 1, 3)), select("#", unpack({1, 2}, 3)))
print("unpack5", unpack({"a", "b"}, "1", "2"))
print("unpack-err", pcall(unpack))
print("unpack-err2", pcall(unpack, {}, 1, 1e8))
local fe = {}
table.foreachi({"x", "y"}, function(i, v) fe[#fe + 1] = i .. v end)
print("foreachi", table.concat(fe, ","), table.foreachi({1, 2, 3}, function(i, v) if v == 2 then return "stop" end end))
print("foreach", table.foreach({a = 1}, function(k, v) return k .. v end))
