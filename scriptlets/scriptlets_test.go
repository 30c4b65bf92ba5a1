// Package scriptlets holds the Lua shipped with msyshost; its tests run the
// scenarios in testdata and the example scenarios through the conformance
// runner, so `go test ./...` covers them.
package scriptlets_test

import (
	"context"
	"path/filepath"
	"testing"

	"msyshost/lib/conformance"
	_ "msyshost/lib/msys"
)

func TestScenarios(t *testing.T) {
	files, err := conformance.Collect([]string{"testdata", "../examples/scenarios"})
	if err != nil {
		t.Fatal(err)
	}
	// Absolute, as `msyshost test` finds the shipped scriptlets: status
	// lines name scriptlets/msys/boot.lua.
	here, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			s, err := conformance.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			res := conformance.Run(context.Background(), s, conformance.Options{SearchPath: []string{here}})
			for _, fl := range res.Failures {
				t.Error(fl)
			}
		})
	}
}
