// Package msys is the Lua module msys itself: the functions Momentum puts
// directly under msys.* (sleep, locks, the share space, readfile, macros,
// config, logging, address parsing, cast), which need no require. Importing
// it also links every msys.* module into a binary, for their side effect
// of registering with luahost. msys.registerModule, msys.registerControl,
// msys.type and msys.runInPool are luahost's own, since they drive the
// host.
package msys

import (
	_ "msyshost/lib/msys/audit"
	_ "msyshost/lib/msys/audit_series"
	_ "msyshost/lib/msys/base64"
	_ "msyshost/lib/msys/bounce"
	_ "msyshost/lib/msys/cidr"
	_ "msyshost/lib/msys/core"
	_ "msyshost/lib/msys/counter"
	_ "msyshost/lib/msys/curl"
	_ "msyshost/lib/msys/datasource"
	_ "msyshost/lib/msys/db"
	_ "msyshost/lib/msys/delivery"
	_ "msyshost/lib/msys/dnslookup"
	_ "msyshost/lib/msys/dumper"
	_ "msyshost/lib/msys/engines"
	_ "msyshost/lib/msys/extended/ac"
	_ "msyshost/lib/msys/extended/message"
	_ "msyshost/lib/msys/extended/message_routing"
	_ "msyshost/lib/msys/extended/vctx"
	_ "msyshost/lib/msys/gauge_cache"
	_ "msyshost/lib/msys/http/client"
	_ "msyshost/lib/msys/httpclnt"
	_ "msyshost/lib/msys/httpsrv"
	_ "msyshost/lib/msys/idn"
	_ "msyshost/lib/msys/json"
	_ "msyshost/lib/msys/mms"
	_ "msyshost/lib/msys/mobility"
	_ "msyshost/lib/msys/mstore"
	_ "msyshost/lib/msys/os"
	_ "msyshost/lib/msys/pcre"
	_ "msyshost/lib/msys/policyeditor"
	_ "msyshost/lib/msys/qp"
	_ "msyshost/lib/msys/smpp"
	_ "msyshost/lib/msys/thread"
	_ "msyshost/lib/msys/threadpool"
	_ "msyshost/lib/msys/timer"
	_ "msyshost/lib/msys/tls_params"
	_ "msyshost/lib/msys/xml"
)
