-- require and the package library: loaders, paths, messages, coroutines.
-- Module files go to a temporary folder whose name is masked in output.
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir " .. dir) == 0)
local function mask(s) return (string.gsub(tostring(s), dir, "DIR")) end
local function write(name, text)
  local f = assert(io.open(dir .. "/" .. name, "w"))
  f:write(text)
  f:close()
end
package.path = dir .. "/?.lua;" .. dir .. "/?/init.lua"
package.cpath = dir .. "/?.so"

write("plain.lua", "local n = ... return {name = n, seen = (seen or 0) + 1}\n")
write("shebang.lua", "#!/usr/bin/env lua\nreturn 'first line skipped', debug.getinfo(1, 'l').currentline\n")
write("broken.lua", "local x = = 1\n")
write("broken2.lua", "#!/bin/lua\nreturn )\n")
write("loopy.lua", "return require('loopy')\n")
write("noreturn.lua", "created = (created or 0) + 1\n")
write("fails.lua", "error('module body failed')\n")
write("modmod.lua", "module(..., package.seeall)\nfunction hello() return 'hello from ' .. _NAME .. ' ' .. _PACKAGE end\n")
os.execute("mkdir " .. dir .. "/pkg")
write("pkg/init.lua", "return 'pkg init for ' .. ...\n")
write("pkg/sub.lua", "module(...)\nvalue = 7\n")

local m = require("plain")
print("plain", m.name, m.seen, require("plain") == m, package.loaded.plain == m)
print("shebang", require("shebang"))
print("noreturn", require("noreturn"), created, require("noreturn"), created)
print("pkg", require("pkg"))
print("pkg.sub", require("pkg.sub").value, pkg and pkg.sub and pkg.sub._NAME, pkg.sub._PACKAGE)
print("modmod", require("modmod").hello(), modmod == package.loaded.modmod)

-- Errors: not found, syntax errors, loops, failures, bad tables.
local function try(...) local ok, e = pcall(...) print(mask(e)) end
try(require, "missing")
try(require, "missing.deeper")
try(require, "broken")
try(require, "broken2")
try(require, "loopy")
try(require, "fails")
try(require, "fails")
try(require)
local saved = package.path
package.path = 42
try(require, "nowhere")
package.path = saved
local loaders = package.loaders
package.loaders = nil
try(require, "other")
package.loaders = {}
try(require, "other2")
package.loaders = {function(n) return "\n\tfirst says no to " .. n end,
                   function(n) return 17 end,
                   function(n) if n == "custom" then return function(name) return "made " .. name end end end}
print("custom", require("custom"))
try(require, "nocustom")
package.loaders = loaders

-- package.preload, and require called from inside a coroutine.
package.preload.pre = function(name) return {from = "preload " .. name} end
local co = coroutine.create(function(a)
  local p = require("pre")
  local q = require("plain")
  coroutine.yield(p.from, q.name)
  return "after", require("pre") == p
end)
print("co1", coroutine.resume(co, 1))
print("co2", coroutine.resume(co))
print("co3", coroutine.status(co))
local w = coroutine.wrap(function() return require("shebang") end)
print("wrap", w())

-- package.loadlib cannot load a missing library.
print("loadlib", package.loadlib(dir .. "/nolib.so", "luaopen_nolib") == nil,
      mask(select(2, package.loadlib(dir .. "/nolib.so", "luaopen_nolib"))),
      select(3, package.loadlib(dir .. "/nolib.so", "luaopen_nolib")))
print("config", package.config == "/\n;\n?\n!\n-")
print("seeall", pcall(package.seeall), type(package.loaded), type(package.preload))

os.execute("rm -r " .. dir)
