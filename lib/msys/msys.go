// Package msys links every Lua-facing msys module into a binary: import it
// for its side effect of registering them with luahost.
package msys

import (
	_ "msyshost/lib/msys/core"
	_ "msyshost/lib/msys/curl"
	_ "msyshost/lib/msys/datasource"
	_ "msyshost/lib/msys/db"
	_ "msyshost/lib/msys/dnslookup"
	_ "msyshost/lib/msys/extended/message"
	_ "msyshost/lib/msys/extended/message_routing"
	_ "msyshost/lib/msys/http/client"
	_ "msyshost/lib/msys/json"
	_ "msyshost/lib/msys/mms"
	_ "msyshost/lib/msys/mstore"
	_ "msyshost/lib/msys/smpp"
	_ "msyshost/lib/msys/xml"
)
