package validate_test

import (
	"testing"

	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys/validate"
)

func TestAPI(t *testing.T) { luatest.Run(t, "api_test.lua", nil) }
