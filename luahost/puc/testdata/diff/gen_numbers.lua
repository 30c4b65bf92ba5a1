-- Generated numbers (exact constructions: quotients and powers of two)
-- through tostring and every numeric string.format conversion.
local seed = 12345
local function rnd(n)
  seed = (seed * 16807) % 2147483647
  return seed % n
end
local fmts = {
  "%.3f", "%e", "%g", "%.10g", "%#g", "%+.2e", "%12.4f", "%-12g|", "%.0f", "%.14g", "%.17g",
  "%.1e", "%G", "%E", "%.20f", "%#.3x", "%5.1g", "%010.3e", "% g", "%.15g", "%.16g", "%.0e",
}
for i = 1, 300 do
  local a, b = rnd(2000000) - 1000000, rnd(99999) + 1
  local v = math.ldexp(a / b, rnd(140) - 70)
  if i % 17 == 0 then v = a end
  if i % 23 == 0 then v = math.ldexp(a, rnd(40)) end
  local parts = {tostring(v)}
  for j = 1, 4 do
    local f = fmts[rnd(#fmts) + 1]
    if f == "%#.3x" then
      parts[#parts + 1] = f .. "=" .. string.format(f, math.floor(v) % 2^40)
    else
      parts[#parts + 1] = f .. "=" .. string.format(f, v)
    end
  end
  parts[#parts + 1] = string.format("%d", v)
  parts[#parts + 1] = tostring(tonumber(tostring(v)) == v or tostring(v))
  parts[#parts + 1] = tostring(tonumber(string.format("%.17g", v)) == v)
  print("n" .. i, table.concat(parts, " "))
end
