package client_test

import (
	"testing"

	"msyshost/lib/msys/curl/curltest"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys/http/client"
)

func TestLua(t *testing.T) {
	curltest.Start(t).Setenv(t)
	luatest.Run(t, "api_test.lua", nil)
}
