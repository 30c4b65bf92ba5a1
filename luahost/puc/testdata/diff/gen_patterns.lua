-- Generated patterns against generated subjects: find, match, gsub and
-- gmatch results and error texts must all agree with PUC's matcher.
local seed = 4242
local function rnd(n)
  seed = (seed * 16807) % 2147483647
  return seed % n
end
local tokens = {
  "a", "b", "%a", "%d", ".", "[ab]", "[^a]", "(", ")", "*", "+", "-", "?", "^", "$", "%b()", "%f[a]",
  "%f[%w]", "%1", "%2", "%", "()", "[%d)]", "[a-c]", "%s", "%S", "%w+", "%p", "[]", "x", "(a*)",
  "[%a-]", "%.", "%%",
}
local subjects = {"", "a", "ab", "aab()1 b", "ba(a(b)a)b", "x1y22z333", "a.b%c", "  aa  bb  ", "((a))", "abab"}
local function show(...)
  local n = select("#", ...)
  local t = {}
  for i = 1, n do t[i] = tostring((select(i, ...))) end
  return n .. ":" .. table.concat(t, ",")
end
for i = 1, 400 do
  local p = {}
  for j = 1, rnd(5) + 1 do p[j] = tokens[rnd(#tokens) + 1] end
  p = table.concat(p)
  local s = subjects[rnd(#subjects) + 1]
  local init = rnd(7) - 2
  print("p" .. i, string.format("%q %q %d", p, s, init))
  print("  find", show(pcall(string.find, s, p, init)))
  print("  match", show(pcall(string.match, s, p)))
  print("  gsub", show(pcall(string.gsub, s, p, "<%0>")))
  print("  gsubf", show(pcall(string.gsub, s, p, function(...) return "[" .. select("#", ...) .. "]" end, 3)))
  print("  gmatch", show(pcall(function()
    local out = {}
    for a, b in string.gmatch(s, p) do
      out[#out + 1] = tostring(a) .. "/" .. tostring(b)
      if #out > 20 then break end
    end
    return table.concat(out, " ")
  end)))
end
