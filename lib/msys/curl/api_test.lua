-- curl against the in-process servers of curltest (see api_test.go).

local HTTP = os.getenv("MSYSHOST_HTTP")
local HTTPS = os.getenv("MSYSHOST_HTTPS")

-- fetch runs one transfer and returns ok, body, headers, err, code, handle.
local function fetch(url, opts)
  local c = curl.new()
  local body, headers = {}, {}
  assert(c:setopt(curl.OPT_URL, url))
  c:setopt(curl.OPT_WRITEFUNCTION, function(ud, s) body[#body + 1] = s; return #s end)
  c:setopt(curl.OPT_HEADERFUNCTION, function(ud, s) headers[#headers + 1] = s; return #s end)
  for _, o in ipairs(opts or {}) do
    local ok, err = c:setopt(o[1], o[2], o[3])
    assert(ok, err)
  end
  local ok, err, code = c:perform()
  return ok, table.concat(body), headers, err, code, c
end

local function has(t, s, what)
  if not string.find(s, what, 1, true) then t:error("missing " .. what .. " in:\n" .. s) end
end

function TestGet(t)
  local ok, body, headers, err, code, c = fetch(HTTP .. "/echo?q=1")
  if not ok then t:fatal("perform: " .. tostring(err) .. " " .. tostring(code)) end
  has(t, body, "method=GET\n")
  has(t, body, "path=/echo?q=1\n")
  has(t, body, "h.accept=*/*\n")
  if string.find(body, "h.user-agent", 1, true) then t:error("libcurl sends no User-Agent unless asked") end
  if string.find(body, "h.accept-encoding", 1, true) then t:error("no Accept-Encoding unless ENCODING is set") end
  if headers[1] ~= "HTTP/1.1 200 OK\r\n" then t:error("first header line: " .. tostring(headers[1])) end
  if headers[#headers] ~= "\r\n" then t:error("the header lines end with an empty line") end
  local found = false
  for _, h in ipairs(headers) do if h == "X-Echo: yes\r\n" then found = true end end
  if not found then t:error("X-Echo header line not reported") end
  if c:getinfo(curl.INFO_RESPONSE_CODE) ~= 200 then t:error("INFO_RESPONSE_CODE") end
  if c:getinfo(curl.INFO_CONTENT_TYPE) ~= "text/plain; charset=utf-8" then t:error("INFO_CONTENT_TYPE") end
  if c:getinfo(curl.INFO_EFFECTIVE_URL) ~= HTTP .. "/echo?q=1" then t:error("INFO_EFFECTIVE_URL") end
  if c:getinfo(curl.INFO_SIZE_DOWNLOAD) ~= #body then t:error("INFO_SIZE_DOWNLOAD") end
  if type(c:getinfo(curl.INFO_TOTAL_TIME)) ~= "number" then t:error("INFO_TOTAL_TIME") end
  local v, msg = c:getinfo(12345)
  if v ~= nil or msg ~= "Invalid CURLINFO number: 12345" then t:error("unknown info: " .. tostring(msg)) end
  c:close()
end

function TestPostFieldsAndHeaders(t)
  local ok, body = fetch(HTTP .. "/echo", {
    { curl.OPT_POSTFIELDS, "a=1&b=two" },
    { curl.OPT_HTTPHEADER, "X-Foo: Bar", "Accept: text/plain" },
    { curl.OPT_USERAGENT, "msyshost-test/1" },
    { curl.OPT_REFERER, "http://referrer.example/" },
  })
  if not ok then t:fatal("perform failed") end
  has(t, body, "method=POST\n")
  has(t, body, "body=a=1&b=two\n")
  has(t, body, "h.content-type=application/x-www-form-urlencoded\n")
  has(t, body, "h.x-foo=Bar\n")
  has(t, body, "h.accept=text/plain\n")
  has(t, body, "h.user-agent=msyshost-test/1\n")
  has(t, body, "h.referer=http://referrer.example/\n")
  -- A table of headers, a removed default and an empty one.
  ok, body = fetch(HTTP .. "/echo", { { curl.OPT_HTTPHEADER, { "Accept:", "X-Empty;", "Content-Type: application/json" } },
    { curl.OPT_POSTFIELDS, "{}" } })
  if string.find(body, "h.accept=", 1, true) then t:error("'Accept:' must remove the header") end
  has(t, body, "h.x-empty=\n")
  has(t, body, "h.content-type=application/json\n")
end

function TestPostFieldSize(t)
  local ok, body = fetch(HTTP .. "/echo", { { curl.OPT_POSTFIELDS, "abcdef" }, { curl.OPT_POSTFIELDSIZE, 3 } })
  has(t, body, "body=abc\n")
end

function TestUploadThroughReadFunction(t)
  local chunks = { "first,", "second,", "third" }
  local seen
  local ok, body, _, err = fetch(HTTP .. "/echo", {
    { curl.OPT_UPLOAD, true },
    { curl.OPT_READFUNCTION, function(ud, size) seen = ud; return table.remove(chunks, 1) end },
  })
  if not ok then t:fatal(tostring(err)) end
  has(t, body, "method=PUT\n")
  has(t, body, "body=first,second,third\n")
  if msys.type(seen) ~= "curl" then t:error("READDATA defaults to the curl object, got " .. msys.type(seen)) end
  -- READDATA replaces what the function receives; INFILESIZE bounds it.
  local src = { data = "0123456789" }
  ok, body = fetch(HTTP .. "/echo", {
    { curl.OPT_PUT, true }, { curl.OPT_INFILESIZE, 4 }, { curl.OPT_READDATA, src },
    { curl.OPT_READFUNCTION, function(ud, size) return string.sub(ud.data, 1, size) end },
  })
  has(t, body, "body=0123\n")
  has(t, body, "length=4\n")
  -- curl.READFUNC_ABORT stops the transfer.
  local ok2, _, _, err2, code2 = fetch(HTTP .. "/echo", { { curl.OPT_UPLOAD, true },
    { curl.OPT_READFUNCTION, function() return curl.READFUNC_ABORT end } })
  if ok2 or code2 ~= curl.E_ABORTED_BY_CALLBACK then t:error("abort: " .. tostring(err2)) end
end

function TestCustomRequestAndHead(t)
  local ok, body = fetch(HTTP .. "/echo", { { curl.OPT_CUSTOMREQUEST, "DELETE" } })
  has(t, body, "method=DELETE\n")
  local ok2, body2, headers = fetch(HTTP .. "/echo", { { curl.OPT_NOBODY, true } })
  if not ok2 or body2 ~= "" then t:error("NOBODY must transfer no body, got " .. body2) end
  if headers[1] ~= "HTTP/1.1 200 OK\r\n" then t:error("HEAD still reports headers") end
  -- HTTPGET after POST goes back to GET.
  local _, body3 = fetch(HTTP .. "/echo", { { curl.OPT_POSTFIELDS, "x" }, { curl.OPT_HTTPGET, true } })
  has(t, body3, "method=GET\n")
end

function TestRedirects(t)
  local ok, body, headers, err, code, c = fetch(HTTP .. "/redirect/3")
  if body == "landed" then t:error("redirects are not followed unless FOLLOWLOCATION is set") end
  if c:getinfo(curl.INFO_RESPONSE_CODE) ~= 302 then t:error("302 expected") end
  ok, body, headers, err, code, c = fetch(HTTP .. "/redirect/3", { { curl.OPT_FOLLOWLOCATION, true } })
  if body ~= "landed" then t:error("followed body: " .. body) end
  if c:getinfo(curl.INFO_REDIRECT_COUNT) ~= 3 then t:error("INFO_REDIRECT_COUNT " .. tostring(c:getinfo(curl.INFO_REDIRECT_COUNT))) end
  if c:getinfo(curl.INFO_EFFECTIVE_URL) ~= HTTP .. "/redirect/0" then t:error("effective URL after redirects") end
  local statuses = 0
  for _, h in ipairs(headers) do if string.find(h, "^HTTP/1.1 ") then statuses = statuses + 1 end end
  if statuses ~= 4 then t:error("the header function sees every response: " .. statuses .. " status lines") end
  ok, body, headers, err, code = fetch(HTTP .. "/redirect/5", { { curl.OPT_FOLLOWLOCATION, true }, { curl.OPT_MAXREDIRS, 2 } })
  if ok or code ~= curl.E_TOO_MANY_REDIRECTS then t:error("MAXREDIRS: " .. tostring(err)) end
  -- 303 turns a POST into a GET without a body.
  ok, body = fetch(HTTP .. "/see-other", { { curl.OPT_FOLLOWLOCATION, true }, { curl.OPT_POSTFIELDS, "x=1" } })
  has(t, body, "method=GET\n")
end

function TestFailOnError(t)
  local ok, body, _, err, code, c = fetch(HTTP .. "/status/404")
  if not ok or body ~= "status 404" then t:error("a 404 is a completed transfer by default") end
  if c:getinfo(curl.INFO_RESPONSE_CODE) ~= 404 then t:error("404 code") end
  ok, body, _, err, code = fetch(HTTP .. "/status/404", { { curl.OPT_FAILONERROR, true } })
  if ok or code ~= curl.E_HTTP_RETURNED_ERROR or code ~= 22 then t:error("FAILONERROR: " .. tostring(code)) end
  has(t, err, "The requested URL returned error: 404")
end

function TestAuthCookiesRangeConditions(t)
  local ok, body = fetch(HTTP .. "/auth")
  has(t, body, "who are you")
  ok, body = fetch(HTTP .. "/auth", { { curl.OPT_USERPWD, "alice:s3cret" } })
  if body ~= "welcome alice" then t:error("USERPWD: " .. body) end
  ok, body = fetch(string.gsub(HTTP, "http://", "http://alice:s3cret@") .. "/auth")
  if body ~= "welcome alice" then t:error("credentials in the URL: " .. body) end

  -- The cookie engine keeps cookies across transfers of one handle.
  local c = curl.new()
  local got = {}
  c:setopt(curl.OPT_COOKIEFILE, "")
  c:setopt(curl.OPT_WRITEFUNCTION, function(_, s) got[#got + 1] = s; return #s end)
  c:setopt(curl.OPT_URL, HTTP .. "/cookie/set"); assert(c:perform())
  c:setopt(curl.OPT_URL, HTTP .. "/cookie/get"); assert(c:perform())
  if got[#got] ~= "cookie=session=abc" then t:error("cookie engine: " .. tostring(got[#got])) end
  ok, body = fetch(HTTP .. "/cookie/get", { { curl.OPT_COOKIE, "a=1; b=2" } })
  if body ~= "cookie=a=1; b=2" then t:error("OPT_COOKIE: " .. body) end
  local okf, errf, codef = curl.new():setopt(curl.OPT_COOKIEFILE, "/tmp/cookies.txt")
  if okf or codef ~= curl.E_BAD_FUNCTION_ARGUMENT then t:error("cookie file: " .. tostring(errf)) end

  ok, body = fetch(HTTP .. "/big?n=100", { { curl.OPT_RANGE, "10-14" } })
  if body ~= "klmno" then t:error("RANGE: " .. body) end
  ok, body = fetch(HTTP .. "/big?n=30", { { curl.OPT_RESUME_FROM, 26 } })
  if body ~= "abcd" then t:error("RESUME_FROM: " .. body) end

  local _, _, _, _, _, h = fetch(HTTP .. "/modified", { { curl.OPT_TIMECONDITION, curl.TIMECOND_IFMODSINCE },
    { curl.OPT_TIMEVALUE, 1600000000 } })
  if h:getinfo(curl.INFO_RESPONSE_CODE) ~= 304 then t:error("If-Modified-Since after the change: 304 expected") end
  _, body, _, _, _, h = fetch(HTTP .. "/modified", { { curl.OPT_TIMECONDITION, curl.TIMECOND_IFMODSINCE },
    { curl.OPT_TIMEVALUE, 1500000000 } })
  if body ~= "fresh content" then t:error("older If-Modified-Since: " .. body) end
  if h:getinfo(curl.INFO_FILETIME) ~= 1577836800 then t:error("INFO_FILETIME " .. tostring(h:getinfo(curl.INFO_FILETIME))) end
end

function TestProxy(t)
  -- The test server plays the proxy: it answers the absolute-form request
  -- itself, which shows the request went to the proxy, not to the host.
  local proxy = string.gsub(HTTP, "^http://", "")
  local ok, body, _, err = fetch("http://origin.example.invalid/echo?p=1", {
    { curl.OPT_PROXY, proxy }, { curl.OPT_PROXYUSERPWD, "pu:pp" } })
  if not ok then t:fatal("through the proxy: " .. tostring(err)) end
  has(t, body, "requri=http://origin.example.invalid/echo?p=1\n")
  has(t, body, "h.proxy-authorization=Basic cHU6cHA=\n")
  local host, port = string.match(proxy, "^(.*):(%d+)$")
  ok, body = fetch("http://origin.example.invalid/echo", { { curl.OPT_PROXY, host }, { curl.OPT_PROXYPORT, tonumber(port) } })
  has(t, body, "requri=http://origin.example.invalid/echo\n")
end

function TestEncoding(t)
  local ok, body = fetch(HTTP .. "/gzip")
  if body ~= "plain hello" then t:error("no ENCODING: " .. body) end
  ok, body = fetch(HTTP .. "/gzip", { { curl.OPT_ENCODING, "" } })
  if body ~= "compressed hello" then t:error("ENCODING '' decodes gzip: " .. body) end
end

function TestHeaderIntoBody(t)
  local ok, body = fetch(HTTP .. "/status/201", { { curl.OPT_HEADER, true } })
  if string.sub(body, 1, 22) ~= "HTTP/1.1 201 Created\r\n" then t:error("OPT_HEADER: " .. body) end
  has(t, body, "\r\n\r\nstatus 201")
end

function TestWriteAndProgressCallbacks(t)
  local c = curl.new()
  c:setopt(curl.OPT_URL, HTTP .. "/big?n=100000")
  local got, calls = 0, 0
  c:setopt(curl.OPT_WRITEFUNCTION, function(ud, s) got = got + #s; calls = calls + 1; return #s end)
  c:setopt(curl.OPT_BUFFERSIZE, 4096)
  local progress = {}
  c:setopt(curl.OPT_NOPROGRESS, false)
  c:setopt(curl.OPT_PROGRESSFUNCTION, function(ud, dltotal, dlnow) progress[#progress + 1] = dlnow; return 0 end)
  assert(c:perform())
  if got ~= 100000 then t:error("got " .. got .. " bytes") end
  if calls < 20 then t:error("BUFFERSIZE 4096 should give many writes, got " .. calls) end
  if progress[#progress] ~= 100000 then t:error("last progress " .. tostring(progress[#progress])) end
  -- A write function that takes less stops the transfer.
  c:setopt(curl.OPT_WRITEFUNCTION, function(ud, s) return 0 end)
  local ok, err, code = c:perform()
  if ok or code ~= curl.E_WRITE_ERROR then t:error("short write: " .. tostring(err)) end
  -- A progress function returning non-zero aborts.
  c:setopt(curl.OPT_WRITEFUNCTION, function(ud, s) return #s end)
  c:setopt(curl.OPT_PROGRESSFUNCTION, function() return 1 end)
  ok, err, code = c:perform()
  if ok or code ~= curl.E_ABORTED_BY_CALLBACK then t:error("progress abort: " .. tostring(err)) end
  -- WRITEDATA replaces the first argument; an error in a callback propagates.
  c:setopt(curl.OPT_NOPROGRESS, true)
  local sink = {}
  c:setopt(curl.OPT_WRITEDATA, sink)
  c:setopt(curl.OPT_WRITEFUNCTION, function(ud, s) ud[#ud + 1] = s; return #s end)
  assert(c:perform())
  if #table.concat(sink) ~= 100000 then t:error("WRITEDATA sink") end
  c:setopt(curl.OPT_WRITEFUNCTION, function(ud, s) error("sink full") end)
  local pok, perr = pcall(c.perform, c)
  if pok or not string.find(perr, "sink full", 1, true) then t:error("callback error: " .. tostring(perr)) end
end

function TestLimits(t)
  local ok, body, _, err, code = fetch(HTTP .. "/hang", { { curl.OPT_TIMEOUT, 1 } })
  if ok or code ~= curl.E_OPERATION_TIMEDOUT then t:error("TIMEOUT: " .. tostring(err)) end
  ok, body, _, err, code = fetch(HTTP .. "/slow", { { curl.OPT_LOW_SPEED_LIMIT, 1000 }, { curl.OPT_LOW_SPEED_TIME, 1 } })
  if ok or code ~= curl.E_OPERATION_TIMEDOUT then t:error("LOW_SPEED: " .. tostring(err)) end
  ok, body, _, err, code = fetch(HTTP .. "/big?n=5000", { { curl.OPT_MAXFILESIZE, 1000 } })
  if ok or code ~= curl.E_FILESIZE_EXCEEDED then t:error("MAXFILESIZE: " .. tostring(err)) end
end

function TestConnectionFailures(t)
  local ok, _, _, err, code = fetch(os.getenv("MSYSHOST_DEAD"))
  if ok or code ~= curl.E_COULDNT_CONNECT then t:error("dead port: " .. tostring(err) .. " " .. tostring(code)) end
  has(t, err, "Couldn't connect to server")
  ok, _, _, err, code = fetch(HTTP .. "/close")
  if ok or code ~= curl.E_GOT_NOTHING then t:error("closed without an answer: " .. tostring(err) .. " " .. tostring(code)) end
  ok, _, _, err, code = fetch("ftp://127.0.0.1/file")
  if ok or code ~= curl.E_UNSUPPORTED_PROTOCOL then t:error("ftp: " .. tostring(err)) end
  ok, _, _, err, code = fetch("")
  if ok or code ~= curl.E_URL_MALFORMAT then t:error("empty URL: " .. tostring(err)) end
  ok, _, _, err, code = fetch("http://no-such-host.invalid/")
  if ok or code ~= curl.E_COULDNT_RESOLVE_HOST then t:error("unknown host: " .. tostring(err) .. " " .. tostring(code)) end
end

function TestTLS(t)
  local ok, _, _, err, code = fetch(HTTPS .. "/echo")
  if ok or code ~= curl.E_SSL_CACERT then t:error("an unknown CA must fail with E_SSL_CACERT: " .. tostring(err) .. " " .. tostring(code)) end
  local body
  ok, body, _, err = fetch(HTTPS .. "/echo", { { curl.OPT_CAINFO, os.getenv("MSYSHOST_CA") } })
  if not ok then t:fatal("CAINFO: " .. tostring(err)) end
  has(t, body, "method=GET\n")
  ok, body, _, err = fetch(HTTPS .. "/echo", { { curl.OPT_CAPATH, os.getenv("MSYSHOST_CA_DIR") } })
  if not ok then t:error("CAPATH: " .. tostring(err)) end
  ok, body = fetch(HTTPS .. "/echo", { { curl.OPT_SSL_VERIFYPEER, false } })
  if not ok then t:error("SSL_VERIFYPEER false must accept any certificate") end
  -- The certificate names 127.0.0.1 and example.com, not localhost.
  local other = "https://localhost:" .. os.getenv("MSYSHOST_HTTPS_PORT") .. "/echo"
  ok, _, _, err, code = fetch(other, { { curl.OPT_CAINFO, os.getenv("MSYSHOST_CA") } })
  if ok or code ~= curl.E_SSL_PEER_CERTIFICATE then t:error("name mismatch: " .. tostring(err) .. " " .. tostring(code)) end
  ok, _, _, err = fetch(other, { { curl.OPT_CAINFO, os.getenv("MSYSHOST_CA") }, { curl.OPT_SSL_VERIFYHOST, 0 } })
  if not ok then t:error("SSL_VERIFYHOST 0 must accept another name: " .. tostring(err)) end
  ok, _, _, err = fetch(HTTPS .. "/echo", { { curl.OPT_CAINFO, os.getenv("MSYSHOST_CA") },
    { curl.OPT_SSL_CIPHER_LIST, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256" },
    { curl.OPT_SSLVERSION, curl.SSLVERSION_TLSv1_2 } })
  if not ok then t:error("cipher list and version: " .. tostring(err)) end
  local r, e = curl.new():setopt(curl.OPT_SSL_CIPHER_LIST, "NOT-A-CIPHER")
  if r or not string.find(e, "NOT-A-CIPHER", 1, true) then t:error("unknown cipher: " .. tostring(e)) end
end

function TestClientCertificate(t)
  local mtls = os.getenv("MSYSHOST_MTLS")
  local ok, _, _, err, code = fetch(mtls, { { curl.OPT_CAINFO, os.getenv("MSYSHOST_CA") } })
  if ok then t:error("a server requiring a client certificate must refuse us without one") end
  local body
  ok, body, _, err = fetch(mtls, { { curl.OPT_CAINFO, os.getenv("MSYSHOST_CA") },
    { curl.OPT_SSLCERT, os.getenv("MSYSHOST_CLIENT_CERT") }, { curl.OPT_SSLKEY, os.getenv("MSYSHOST_CLIENT_KEY") } })
  if not ok then t:fatal("client certificate: " .. tostring(err)) end
  has(t, body, "client=msyshost-test-client")
  ok, _, _, err, code = fetch(mtls, { { curl.OPT_SSLCERT, "/nonexistent.pem" } })
  if ok or code ~= curl.E_SSL_CERTPROBLEM then t:error("missing client certificate file: " .. tostring(err)) end
end

function TestSetoptChecks(t)
  local c = curl.new()
  local ok, err = pcall(c.setopt, c, curl.OPT_FOLLOWLOCATION, 1)
  if ok or not string.find(err, "bad argument #3 to '?' (boolean value expected)", 1, true) then
    t:error("boolean option given 1: " .. tostring(err))
  end
  ok, err = pcall(c.setopt, c, curl.OPT_URL)
  if ok or not string.find(err, "Invalid number of arguments 2 to `setopt' method", 1, true) then t:error("missing value: " .. tostring(err)) end
  ok, err = pcall(c.setopt, c, 99999, 1)
  if ok or not string.find(err, "Not supported curl option 99999", 1, true) then t:error("unknown option: " .. tostring(err)) end
  ok, err = pcall(c.setopt, c, curl.OPT_QUOTE, "NOOP")
  if ok or not string.find(err, "OPT_QUOTE is not supported", 1, true) then t:error("FTP option: " .. tostring(err)) end
  ok, err = pcall(c.setopt, c, curl.OPT_WRITEFUNCTION, "print")
  if ok or not string.find(err, "function expected, got string", 1, true) then t:error("non-function callback: " .. tostring(err)) end
  if c:setopt(curl.OPT_URL, nil) ~= true then t:error("nil clears a string option") end
  local r, e, code = c:setopt(curl.OPT_HTTPAUTH, curl.AUTH_DIGEST)
  if r ~= nil or code ~= curl.E_BAD_FUNCTION_ARGUMENT then t:error("digest auth: " .. tostring(e)) end
  if c:setopt(curl.OPT_HTTPAUTH, curl.AUTH_ANY) ~= true then t:error("AUTH_ANY includes basic") end
  if curl.OPT_URL ~= 10002 or curl.OPT_WRITEFUNCTION ~= 20011 or curl.OPT_TIMEOUT ~= 13 or curl.OPT_INFILESIZE_LARGE ~= 30115 then
    t:error("OPT_* must carry libcurl's numbers")
  end
  if curl.INFO_RESPONSE_CODE ~= 0x200002 or curl.E_COULDNT_CONNECT ~= 7 or curl.COULDNT_CONNECT ~= 7 then
    t:error("INFO_* and error codes must carry libcurl's numbers")
  end
  c:close()
  ok, err = pcall(c.perform, c)
  if ok or not string.find(err, "attempt to use closed curl object", 1, true) then t:error("use after close: " .. tostring(err)) end
end

function TestEscape(t)
  if curl.escape("abcd$%^&*()") ~= "abcd%24%25%5E%26%2A%28%29" then t:error("escape: " .. curl.escape("abcd$%^&*()")) end
  if curl.escape("a b/c-d.e_f~g\0") ~= "a%20b%2Fc-d.e_f~g%00" then t:error("escape unreserved/NUL: " .. curl.escape("a b/c-d.e_f~g\0")) end
  if curl.unescape("abcd%24%25%5E%26%2A%28%29") ~= "abcd$%^&*()" then t:error("unescape") end
  if curl.unescape("100%+x%4a%zz%") ~= "100%+xJ%zz%" then t:error("unescape keeps bad sequences and '+': " .. curl.unescape("100%+x%4a%zz%")) end
  local ok, err = pcall(curl.escape, nil)
  if ok or not string.find(err, "bad argument #1 to '?' (string parameter expected)", 1, true) then t:error("escape(nil): " .. tostring(err)) end
  if curl.escape(12) ~= "12" then t:error("numbers are strings") end
end
