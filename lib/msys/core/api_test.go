package core_test

import (
	"testing"
	"time"

	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys/core"
)

func TestAPI(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	luatest.Run(t, "api_test.lua", &luahost.Services{Now: func() time.Time { return now }})
}
