package delivery_test

import (
	"testing"

	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

func TestLua(t *testing.T) { luatest.Run(t, "api_test.lua", nil) }
