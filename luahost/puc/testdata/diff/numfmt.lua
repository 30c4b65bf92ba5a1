-- Numbers turned into strings by print and tostring (%.14g).
local values = {
  0, 1, -1, 0.5, -0.5, 0.1, 0.1 + 0.2, 1/3, 2/3, -1/3, 100, 1e14, 1e15, 1e16, 123456789012345,
  12345678901234, 99999999999999, 999999999999999, 2^53, 2^63, 2^64, -2^63, 1e100, 1e-5, 1e-4,
  0.0001234, 1.5e-10, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, math.pi, -math.pi,
  math.huge, -math.huge, 3.14159265358979, 1e300 * 1e10, 255 / 256, 1 / 1024, 7.0, 7.5e0, 0.30000000000000004,
  123.456, 1234567.891, 0.000001, 1e21, 1e22, 4294967295, 4294967296, -4294967296.5, 2^31, -2^31,
}
for i, v in ipairs(values) do
  print("v" .. i, v, tostring(v), type(tostring(v)))
end
local negzero = -0.0
print("negzero", negzero, tostring(negzero), 0 * -1)
local nan = math.huge - math.huge
print("nan", nan ~= nan, tostring(nan) == tostring(math.huge - math.huge))
print("multi", 1, 2.5, -3, "s", nil, true, false)
print("table-concat", table.concat({1, 2.5, 1/3, 1e15, -0.0}, " "))
print("format-d", string.format("%s %s", 1/3, 1e15))
print("tostring-str", tostring("1e15"), tostring(nil), tostring(true))
print("int-like", 3.0, -7.0, 1e2, 2^10, 10 / 2, 7 % 3, 2^0.5)
print("large", 2^70, -2^70, 10^15, 10^14, 10^13)
print("small", 1e-300, 2^-1074, 2^-1022)
io.write("io.write ", 1/3, " ", 1e15, " ", -0.0, " ", 42, "\n")
print("io.write-ret", io.write(""))
