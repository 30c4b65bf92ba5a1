-- msys.qp: quoted-printable (RFC 2045 6.7).

local qp = require("msys.qp")

function TestEncode(t)
  t:eq(qp.encode("plain text"), "plain text", "ASCII unchanged")
  t:eq(qp.encode("a=b"), "a=3Db", "= escaped")
  t:eq(qp.encode("café"), "caf=C3=A9", "UTF-8 bytes")
  t:eq(qp.encode("café", "iso-8859-1"), "caf=E9", "converted to Latin-1 first")
  local long = qp.encode(string.rep("y", 100))
  local first = string.sub(long, 1, string.find(long, "\r\n", 1, true) - 1)
  if #first > 76 then t:error("line longer than 76: " .. #first) end
  t:eq(string.sub(first, -1), "=", "soft line break")
  t:eq(qp.decode(long), string.rep("y", 100), "soft breaks removed on decode")
end

function TestDotStuffing(t)
  local src = "first\n.hidden\nlast"
  local plain = qp.encode(src)
  local stuffed = qp.encode(src, nil, true)
  t:eq(plain, "first\r\n.hidden\r\nlast", "lines end in CRLF")
  t:eq(stuffed, "first\r\n..hidden\r\nlast", "a leading dot doubled")
end

function TestDecode(t)
  t:eq(qp.decode("caf=C3=A9"), "café", "bytes")
  t:eq(qp.decode("caf=E9", "windows-1252"), "café", "charset to UTF-8")
  t:eq(qp.decode("a=\r\nb"), "ab", "soft break")
  local ok, err = pcall(qp.decode, "bad=ZZ")
  if ok or not string.find(err, "msys.qp.decode: invalid quoted-printable text", 1, true) then
    t:error("bad escape: " .. tostring(err))
  end
end

function TestIOObject(t)
  local dir = os.getenv("TMPDIR") or "/tmp"
  local path = dir .. "/msyshost-qp-test-" .. tostring(os.time()) .. ".txt"
  local f = msys.core.io_wrapper_open(path, msys.core.O_CREAT + msys.core.O_WRONLY + msys.core.O_TRUNC, 600)
  f:write("x=1")
  f:close()
  f = msys.core.io_wrapper_open(path, msys.core.O_RDONLY)
  t:eq(qp.encode(f), "x=3D1", "io_object read to its end")
  f:close()
  os.remove(path)
end
