-- A policy-script workout: receipt parsing, id normalisation, logging
-- lines built with format, tostring and concatenation.
local receipts = {
  "id:1a2b3c01 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:Hello",
  "ID:00042 SUB:001 DLVRD:000 SUBMIT DATE:2312312359 DONE DATE:2401010001 STAT:UNDELIV ERR:069 TEXT:",
  "id:ff sub:1 dlvrd:0 stat:EXPIRED err:1",
  "garbage",
}
local function parse(text)
  local r = {}
  for key, value in text:gmatch("(%a[%a ]-):(%S*)") do
    r[key:lower():gsub("%s+", "_")] = value
  end
  return r
end
local function normalise(id, format)
  if format == "hexadecimal" then
    return tostring(tonumber(id, 16))
  elseif format == "decimal" then
    return string.format("%x", tonumber(id, 10) or 0)
  end
  return (id:gsub("^0+(%x)", "%1")):lower()
end
for i, text in ipairs(receipts) do
  local r = parse(text)
  local keys = {}
  for k in pairs(r) do keys[#keys + 1] = k end
  table.sort(keys)
  local fields = {}
  for _, k in ipairs(keys) do fields[#fields + 1] = k .. "=" .. r[k] end
  print("receipt" .. i, #keys, table.concat(fields, ";"))
  local id = r.id or "?"
  print("ids" .. i, normalise(id, "string"), normalise(id, "hexadecimal"), normalise(id, "decimal"))
  local stat = (r.stat or "UNKNOWN"):upper()
  local negative = ({EXPIRED = true, DELETED = true, UNDELIV = true, REJECTD = true, UNKNOWN = true})[stat] or false
  local done = r.done_date
  local when = done and os.time({year = 2000 + tonumber(done:sub(1, 2)), month = tonumber(done:sub(3, 4)),
    day = tonumber(done:sub(5, 6)), hour = tonumber(done:sub(7, 8)), min = tonumber(done:sub(9, 10))})
  print("log" .. i, string.format("[%s] bucket=%-12s msgid=%08s stat=%-8s negative=%s err=%03d when=%s",
    os.date("!%Y-%m-%dT%H:%M:%SZ", when or 0), "MADR-" .. (r.sub or "MM7"), id, stat, tostring(negative),
    tonumber(r.err or 0) or -1, when and os.date("!%c", when) or "n/a"))
end
local stats = {sent = 1234, delivered = 1200, failed = 34}
local rate = stats.delivered / stats.sent
print("rate", rate, string.format("%.2f%%", rate * 100), math.floor(rate * 1000 + 0.5) / 10, rate * 100 .. "%")
print("sizes", 160 / 153, math.ceil(500 / 153), string.rep("=", math.ceil(500 / 153)), #string.rep("x", 500) % 153)
local segments = {}
for seg in ("a long message split into segments"):gmatch("%S+") do segments[#segments + 1] = seg:upper() end
print("segments", #segments, table.concat(segments, "|"), select("#", unpack(segments)))
local ok, err = pcall(function() local m = nil; return m.header end)
print("caught", ok, type(err))
ok, err = pcall(error, {code = 451, text = "temporary"})
print("caught-table", ok, err.code, err.text)
ok, err = pcall(string.format, "%d", "abc")
print("caught-format", ok, err)
