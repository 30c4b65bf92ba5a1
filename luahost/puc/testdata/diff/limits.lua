-- Compile-time limits and their messages: upvalues (also through nested
-- functions, where the outermost function reports), locals, syntax levels.
local function try(src, name)
  local f, err = loadstring(src, name)
  print(name, f and "compiled" or err)
end

-- 61 upvalues in one function.
local decl, uses = {}, {}
for i = 1, 61 do decl[i] = "u" .. i uses[i] = "u" .. i end
try("local " .. table.concat(decl, ", ", 1, 30) .. "\nlocal " .. table.concat(decl, ", ", 31) ..
    "\nreturn function() return " .. table.concat(uses, " + ") .. " end", "=flat61")
try("local " .. table.concat(decl, ", ", 1, 30) .. "\nlocal " .. table.concat(decl, ", ", 31, 60) ..
    "\nreturn function() return " .. table.concat(uses, " + ", 1, 60) .. " end", "=flat60")

-- Functions nested 65 deep, the innermost using one local of each level:
-- every enclosing function carries them all as upvalues.
local parts = {"local function level0()"}
for i = 1, 65 do
  parts[#parts + 1] = string.format("local v%d = %d\nlocal function level%d()", i, i, i)
end
local sum = {}
for i = 1, 65 do sum[i] = "v" .. i end
parts[#parts + 1] = "return " .. table.concat(sum, " + ")
for i = 65, 0, -1 do parts[#parts + 1] = "end" end
try(table.concat(parts, "\n"), "=nested65")

-- A statement inside many nested functions, each declaring one local that
-- the innermost assigns.
local s = {"function outer()"}
for i = 1, 70 do s[#s + 1] = "local a" .. i .. " = " .. i .. "\nfunction inner" .. i .. "()" end
for i = 1, 70 do s[#s + 1] = "a" .. i .. " = 0" end
for i = 1, 71 do s[#s + 1] = "end" end
try(table.concat(s, "\n"), "=assigns70")

-- 200 locals compile, 201 do not.
local names = {}
for i = 1, 201 do names[i] = "l" .. i end
try("local " .. table.concat(names, ", ", 1, 200), "=locals200")
try("local " .. table.concat(names, ", "), "=locals201")
try("local function f()\n local " .. table.concat(names, ", ") .. "\nend", "=locals201f")

-- Syntax nesting.
try("return " .. string.rep("(", 198) .. "1" .. string.rep(")", 198), "=parens198")
try("return " .. string.rep("(", 300) .. "1" .. string.rep(")", 300), "=parens300")
