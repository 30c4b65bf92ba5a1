-- tonumber with and without a base, and what numeric strings read as.
local cases = {
  "10", " 10 ", "\t10\n", "10x", "1e3", "1E3", "1e", "1e+", ".5", "5.", ".", "", " ", "0x10", "0X1f",
  "-0x10", "0x", "0x1p4", "0x1.8", "0x.8", "inf", "-inf", "nan", "infinity", "1e500", "-1e500",
  "+5", "--5", "5 5", "1_000", "0b101", "12abc", "  -7.25e-2  ", "\v3\f", "3\0", "0x1P-2", "00012",
}
for i, s in ipairs(cases) do
  local n = tonumber(s)
  if n ~= n then n = "NaN" end
  print("dec" .. i, string.format("%q", s), n)
end
local based = {
  {"ff", 16}, {"FF", 16}, {"0xff", 16}, {"0x", 16}, {"zz", 36}, {"ZZ", 36}, {"777", 8}, {"8", 8},
  {"101", 2}, {"102", 2}, {" 101 ", 2}, {"-101", 2}, {"-1", 16}, {"", 2}, {"10", 10}, {"1e2", 10},
  {"ffffffffffffffffffff", 16}, {"7fffffff", 16}, {"+z", 36}, {"1 1", 2}, {"10", 3.9}, {10, 16},
}
for i, c in ipairs(based) do
  print("base" .. i, c[1], c[2], tonumber(c[1], c[2]))
end
print("num", tonumber(42), tonumber(-0.5), tonumber(nil), tonumber(true), tonumber({}) == nil)
print("err1", pcall(tonumber))
print("err2", pcall(tonumber, "10", 1))
print("err3", pcall(tonumber, "10", 37))
print("err4", pcall(tonumber, nil, 16))
print("err5", pcall(tonumber, "10", "x"))
print("err6", pcall(tonumber, {}, 2))
