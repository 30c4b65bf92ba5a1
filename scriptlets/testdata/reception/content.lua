-- Reception hooks that read and change content, as Momentum's reception
-- examples do: macros of the session context, the MIME tree, a footer.
require("msys.core")
require("msys.extended.message")
local core = msys.core
local mod = {}

function mod:validate_ehlo(str, ac, vctx)
  print("macro", msys.expandMacro("%{vctx_conn:ehlo_string} from %{vctx_conn:ehlo_domain}"))
  return core.VALIDATE_CONT
end

local function add_footer(msg, text)
  local top = msg:mime(false)
  if top.parts ~= nil then
    top:addLastChild(msg:makePart("text/plain", text))
  else
    msg:body(msg:body() .. "\r\n" .. text .. "\r\n")
  end
end

function mod:validate_data(msg, ac, vctx)
  add_footer(msg, "-- scanned on arrival")
  return core.VALIDATE_CONT
end

function mod:validate_data_spool_each_rcpt(msg, ac, vctx)
  local part = msg:mime(true)
  local types = {}
  while part ~= nil do
    types[#types + 1] = part:content_type().mimetype
    part = part.thread
  end
  print("parts", table.concat(types, " "))
  return core.VALIDATE_CONT
end

msys.registerModule("content", mod)
