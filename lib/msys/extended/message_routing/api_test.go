package message_routing_test

import (
	"testing"

	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys/core"
	_ "msyshost/lib/msys/extended/message"
	_ "msyshost/lib/msys/extended/message_routing"
)

func TestAPI(t *testing.T) { luatest.Run(t, "api_test.lua", nil) }
