local M = {}
function M.describe(id) return "helper v1: " .. id end
return M
