-- Refuses recipients listed in a database, with the code and text stored
-- beside them.
require("msys.core")
require("msys.db")
require("msys.datasource")
local mod = {}
function mod:validate_rcptto(msg, str, ac, vctx)
  local row = msys.db.fetch_row("lists", "SELECT code, note FROM refused WHERE address = ?", { tostring(str) }, { nocache = true })
  if row then
    vctx:set_code(tonumber(row.code), row.note)
    return msys.core.VALIDATE_DONE
  end
  return msys.core.VALIDATE_CONT
end
msys.registerModule("killlist", mod)
