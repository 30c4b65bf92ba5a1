-- msys.http.client against the in-process servers of curltest.

local HTTP = os.getenv("MSYSHOST_HTTP")

local function has(t, s, what)
  if not string.find(s or "", what, 1, true) then t:error("missing " .. what .. " in:\n" .. tostring(s)) end
end

function TestRequire(t)
  if require("msys.http.client") ~= msys.http.client then t:error("require must return msys.http.client") end
end

function TestGet(t)
  local client = msys.http.client.new()
  if client:get_status() ~= nil then t:error("no status before a request") end
  local ok, err = client:do_request("GET", HTTP .. "/echo?x=1")
  if ok ~= true then t:fatal("do_request: " .. tostring(err)) end
  local code, text = client:get_status()
  if code ~= 200 or text ~= "OK" then t:error("status: " .. tostring(code) .. " " .. tostring(text)) end
  local body = client:get_body()
  has(t, body, "method=GET\n")
  has(t, body, "path=/echo?x=1\n")
  local raw = client:get_headers()
  local found
  for _, line in ipairs(raw) do if line == "X-Echo: yes" then found = true end end
  if not found then t:error("raw header lines: " .. table.concat(raw, " | ")) end
  local h = client:parse_headers(client:get_headers())
  if h["Content-Type"] ~= "text/plain; charset=utf-8" then t:error("parsed Content-Type: " .. tostring(h["Content-Type"])) end
  if h["X-Echo"] ~= "yes" then t:error("parsed X-Echo") end
end

function TestPostPutDeleteWithHeaders(t)
  local client = msys.http.client.new()
  client:set_header("Content-Type: text/xml; charset=utf-8")
  client:set_header("X-Trace: 42")
  assert(client:do_request("POST", HTTP .. "/echo", "<a/>"))
  local body = client:get_body()
  has(t, body, "method=POST\n")
  has(t, body, "body=<a/>\n")
  has(t, body, "h.content-type=text/xml; charset=utf-8\n")
  has(t, body, "h.x-trace=42\n")

  client:set_header() -- clears
  assert(client:do_request("POST", HTTP .. "/echo", "k=v"))
  body = client:get_body()
  has(t, body, "h.content-type=application/x-www-form-urlencoded\n")
  if string.find(body, "x-trace", 1, true) then t:error("set_header() must clear the headers") end

  assert(client:do_request("PUT", HTTP .. "/echo", "replace me"))
  body = client:get_body()
  has(t, body, "method=PUT\n")
  has(t, body, "body=replace me\n")

  assert(client:do_request("DELETE", HTTP .. "/echo"))
  has(t, client:get_body(), "method=DELETE\n")

  assert(client:do_request("GET", HTTP .. "/echo", "ignored"))
  has(t, client:get_body(), "method=GET\n")
  has(t, client:get_body(), "body=\n")
end

function TestErrorStatusIsAnAnswer(t)
  local client = msys.http.client.new()
  assert(client:do_request("GET", HTTP .. "/status/503"))
  local code, text = client:get_status()
  if code ~= 503 or text ~= "Service Unavailable" then t:error("503: " .. tostring(code) .. " " .. tostring(text)) end
  if client:get_body() ~= "status 503" then t:error("503 body") end
  -- Redirects come back as they are.
  assert(client:do_request("GET", HTTP .. "/redirect/1"))
  if client:get_status() ~= 302 then t:error("302 expected") end
  local h = client:parse_headers(client:get_headers())
  if h.Location ~= "/redirect/0" then t:error("Location: " .. tostring(h.Location)) end
end

function TestFailures(t)
  local client = msys.http.client.new()
  local ok, err = client:do_request("GET", os.getenv("MSYSHOST_DEAD"))
  if ok ~= nil or not string.find(tostring(err), "Couldn't connect", 1, true) then t:error("dead port: " .. tostring(err)) end
  if client:get_status() ~= nil or client:get_body() ~= nil then t:error("a failed request leaves no answer") end
  client:set_timeout(1)
  ok, err = client:do_request("GET", HTTP .. "/hang")
  if ok ~= nil or not string.find(tostring(err), "Timeout was reached", 1, true) then t:error("timeout: " .. tostring(err)) end
  client:set_timeout()
  assert(client:do_request("GET", HTTP .. "/echo"))
  local pok, perr = pcall(client.do_request, client, "PATCH", HTTP .. "/echo")
  if pok or not string.find(perr, "bad argument #2 to '?' (invalid option 'PATCH')", 1, true) then
    t:error("PATCH: " .. tostring(perr))
  end
  pok, perr = pcall(client.do_request, client, "GET")
  if pok or not string.find(perr, "bad argument #3 to '?' (string expected, got no value)", 1, true) then
    t:error("no URL: " .. tostring(perr))
  end
  pok, perr = pcall(client.parse_headers, client, "X: y")
  if pok or not string.find(perr, "bad argument #2 to '?' (table expected, got string)", 1, true) then
    t:error("parse_headers of a string: " .. tostring(perr))
  end
end

function TestParseHeadersJoinsRepeats(t)
  local h = msys.http.client.new():parse_headers({ "Set-Cookie: a=1", "Set-Cookie: b=2", "X-Y:  spaced  ", "garbage" })
  if h["Set-Cookie"] ~= "a=1, b=2" then t:error("repeats: " .. tostring(h["Set-Cookie"])) end
  if h["X-Y"] ~= "spaced" then t:error("trimmed value: " .. tostring(h["X-Y"])) end
end

function TestHTTPS(t)
  local client = msys.http.client.new()
  local ok, err = client:do_request("GET", os.getenv("MSYSHOST_HTTPS") .. "/echo")
  if ok ~= nil or not string.find(tostring(err), "CA certificates", 1, true) then
    t:error("an unknown CA is refused: " .. tostring(err))
  end
end
