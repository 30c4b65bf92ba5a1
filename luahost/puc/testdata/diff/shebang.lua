#!/usr/bin/env lua5.1 -- a first line starting with '#' is skipped, its line counted
-- Lines keep their numbers after the skipped first line.
print("line", debug.getinfo(1, "l").currentline)
local function where() return debug.getinfo(2, "Sl") end
local info = where()
print("caller", info.currentline, info.short_src, info.what)
print("error", pcall(error, "at two", 1))
print("error2", pcall(function() local x = nil; return x.y end))
-- loadstring does not skip a '#' line; loadfile and dofile do.
print("loadstring", loadstring("#!x\nreturn 1"))
local name = os.tmpname()
local f = assert(io.open(name, "w"))
f:write("#!/bin/lua\nreturn debug.getinfo(1, 'l').currentline, ...\n")
f:close()
print("loadfile", assert(loadfile(name))("arg"))
print("dofile", dofile(name))
f = assert(io.open(name, "w"))
f:write("# only a comment line, no newline")
f:close()
print("comment only", assert(loadfile(name))())
os.remove(name)
