-- msys.boot: Momentum configurations load it in every scriptlet block
-- (script "boot" { source = "msys.boot" }) to set up product features that
-- Momentum writes in Lua. msyshost has those features built in, so loading
-- this module changes nothing: it exists so that stanza carries over
-- unchanged instead of failing the load.
return true
