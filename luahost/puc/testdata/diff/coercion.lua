-- Strings in arithmetic and numbers where strings are expected.
print("add", "10" + 1, "3.5" + "1.5", " 7 " + 0, "0x10" + 0, "1e2" + 0, "-2" * "3")
print("ops", "10" - 2, "10" * "2", "10" / "4", "10" % "3", "2" ^ "10", -"3")
print("cmp", "10" == 10, "abc" < "abd", "Z" < "a", "" < "a", "10" < "9")
print("num-str", 10 .. "", 1.5 .. "", -3 .. "")
print("len", #"hello", #"", #"\0\0")
print("err-cmp", pcall(function() return 1 < "2" end))
print("err-cmp3", pcall(function() return nil < 1 end))
print("math-str", math.floor("3.7"), math.max("10", "9"), string.rep("ab", "2"))
