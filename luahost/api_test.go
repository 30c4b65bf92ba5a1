package luahost_test

import (
	"testing"

	"msyshost/luahost/luatest"
)

func TestLua(t *testing.T) { luatest.Run(t, "api_test.lua", nil) }
