-- msys.db and msys.datasource against SQLite datasources (see api_test.go).

require("msys.db")
require("msys.datasource")

local function rows(iter)
  local out = {}
  for r in iter do out[#out + 1] = r end
  return out
end

-- Tests run in name order: TestA creates the table, TestB reads it as created.
function TestAExecute(t)
  t:eq(msys.db.execute("ecdb", "CREATE TABLE names (firstname TEXT, lastname TEXT, age INTEGER, score REAL, note TEXT, seen DATETIME)"), true, "create")
  t:eq(msys.db.execute("ecdb", "INSERT INTO names VALUES (?, ?, ?, ?, ?, ?)", { "Ada", "Lovelace", 28, 9.5, nil, "2024-05-06 07:08:09" }), true, "positional insert with a nil")
  t:eq(msys.db.execute("ecdb", "INSERT INTO names (firstname, lastname, age) VALUES (:first, :last, :age)", { first = "Alan", last = "Turing", age = 41 }), true, ":name insert")
  t:eq(msys.db.execute("ecdb", "INSERT INTO names (firstname, lastname, age) VALUES ($first, $last, $age)", { ["$first"] = "Grace", last = "Hopper", age = 85 }), true, "$name insert")
  t:eq(msys.db.execute("ecdb", "INSERT INTO names (firstname, age) VALUES (?, ?)", { "Young", 12 }), true, "insert")
end

function TestBQueryRows(t)
  local rs = rows(msys.db.query("ecdb", "SELECT firstname, lastname, age, score, note, seen FROM names WHERE age < ? ORDER BY age", { 50 }))
  t:eq(#rs, 3, "rows under 50")
  t:eq(rs[1].firstname, "Young", "first row")
  t:eq(rs[1].lastname, nil, "NULL columns are absent")
  t:eq(rs[2].firstname, "Ada", "second row")
  t:eq(rs[2].age, 28, "integer column")
  t:eq(rs[2].score, 9.5, "real column")
  t:eq(rs[2].note, nil, "nil was stored as NULL")
  t:eq(rs[2].seen, "2024-05-06 07:08:09", "a DATETIME column reads as text")
  t:eq(rs[3].lastname, "Turing", "third row")
  local r = msys.db.fetch_row("ecdb", "SELECT count(*) AS n FROM names")
  t:eq(r.n, 4, "fetch_row")
  t:eq(msys.db.fetch_row("ecdb", "SELECT * FROM names WHERE age > 200"), nil, "fetch_row without a row")
  t:eq(#rows(msys.db.query("ecdb", "SELECT * FROM names WHERE age > 200")), 0, "an empty rowset")
  local named = msys.db.fetch_row("ecdb", "SELECT lastname FROM names WHERE firstname = :f", { f = "Grace" })
  t:eq(named.lastname, "Hopper", "named parameter in a query")
end

function TestCache(t)
  local q = "SELECT age FROM names WHERE firstname = ?"
  t:eq(msys.db.fetch_row("ecdb", q, { "Alan" }).age, 41, "first read")
  msys.db.execute("ecdb", "UPDATE names SET age = 42 WHERE firstname = 'Alan'")
  t:eq(msys.db.fetch_row("ecdb", q, { "Alan" }).age, 41, "cached result within cache_life")
  t:eq(msys.db.fetch_row("ecdb", q, { "Alan" }, { nocache = true }).age, 42, "nocache reads the database")
  t:eq(msys.db.fetch_row("fresh", q, { "Alan" }).age, 42, "a no_cache datasource reads the database")
  msys.db_test.advance(61)
  t:eq(msys.db.fetch_row("ecdb", q, { "Alan" }).age, 42, "after cache_life the database is read again")
  -- Different parameters are different cache entries.
  t:eq(msys.db.fetch_row("ecdb", q, { "Ada" }).age, 28, "other parameters")
end

function TestMaxRowsAndCacheSize(t)
  t:eq(#rows(msys.db.query("small", "SELECT * FROM names")), 2, "max_rows bounds a rowset")
  local q = "SELECT age FROM names WHERE firstname = ?"
  t:eq(msys.db.fetch_row("small", q, { "Ada" }).age, 28, "read")
  msys.db.execute("small", "UPDATE names SET age = 29 WHERE firstname = 'Ada'")
  t:eq(msys.db.fetch_row("small", q, { "Ada" }).age, 28, "cached")
  msys.db.fetch_row("small", q, { "Grace" }) -- cache_size 1: pushes Ada's entry out
  t:eq(msys.db.fetch_row("small", q, { "Ada" }).age, 29, "evicted entry is read again")
end

function TestRoundRobinAndAbsolutePath(t)
  local a = msys.db.fetch_row("rr", "SELECT v FROM t", nil, { nocache = true }).v
  local b = msys.db.fetch_row("rr", "SELECT v FROM t", nil, { nocache = true }).v
  t:eq(a .. "|" .. b, "from a|from b", "uris are used in turn")
  t:eq(msys.db.fetch_row("abs", "SELECT v FROM t").v, "absolute", "an absolute path")
end

function TestErrors(t)
  local ok, err = pcall(msys.db.query, "ecdb", "SELECT bogus FROM names")
  if ok then t:fatal("a bad query must raise by default") end
  if not string.find(err, "prepare: 1: no such column: bogus\nfailed to prepare: SELECT bogus FROM names", 1, true) then
    t:error("prepare error: " .. err)
  end
  local r, e = msys.db.query("ecdb", "SELECT bogus FROM names", nil, { raise_error = false })
  t:eq(r, nil, "raise_error=false returns nil")
  if not string.find(tostring(e), "no such column: bogus", 1, true) then t:error("message: " .. tostring(e)) end
  r, e = msys.db.fetch_row("ecdb", "SELECT bogus FROM names", nil, { raise_error = false })
  t:eq(r, nil, "fetch_row failure")
  r, e = msys.db.execute("ecdb", "INSERT INTO nosuch VALUES (1)", nil, { raise_error = false })
  t:eq(r, false, "execute failure returns false")
  if not string.find(tostring(e), "no such table: nosuch", 1, true) then t:error("execute message: " .. tostring(e)) end
  ok, err = pcall(msys.db.query, "nosuch", "SELECT 1")
  if ok or not string.find(err, 'no datasource "nosuch" is configured', 1, true) then t:error("unknown datasource: " .. tostring(err)) end
  ok, err = pcall(msys.db.query, "mssql", "SELECT 1")
  if ok or not string.find(err, 'the "odbc" driver', 1, true) then t:error("odbc: " .. tostring(err)) end
  ok, err = pcall(msys.db.query, "nowhere", "SELECT 1")
  if ok or not string.find(err, "no/such/dir/x.db", 1, true) then t:error("unopenable file: " .. tostring(err)) end
  ok, err = pcall(msys.db.query, "ecdb", "SELECT * FROM names WHERE age < ?")
  if ok or not string.find(err, "missing argument", 1, true) then t:error("missing parameter: " .. tostring(err)) end
  ok, err = pcall(msys.db.query, "ecdb", "SELECT ?", { {} })
  if ok or not string.find(err, "bad argument #3 to '?' (parameter '1' must be a string, number or boolean, got table)", 1, true) then
    t:error("table parameter: " .. tostring(err))
  end
  ok, err = pcall(msys.db.query, "ecdb")
  if ok or not string.find(err, "bad argument #2 to '?' (string expected, got no value)", 1, true) then t:error("no query: " .. tostring(err)) end
  ok, err = pcall(msys.db.execute, "ecdb", "SELECT 1", nil, "opts")
  if ok or not string.find(err, "bad argument #4 to '?' (table expected, got string)", 1, true) then t:error("options: " .. tostring(err)) end
end

function TestModules(t)
  if require("msys.db") ~= msys.db then t:error("require('msys.db') must return msys.db") end
  if type(require("msys.datasource")) ~= "table" then t:error("require('msys.datasource') must succeed") end
end
