// Package scriptlets holds the Lua shipped with msyshost; its tests run the
// scenarios in testdata and the example scenarios through the conformance
// runner, so `go test ./...` covers them.
package scriptlets_test

import (
	"context"
	"testing"

	"msyshost/lib/conformance"
	_ "msyshost/lib/msys"
	// The SMPP channel and the SMSC simulator of the scenarios with peers.
	_ "msyshost/lib/smppclient"
	_ "msyshost/lib/smsc"
)

func TestScenarios(t *testing.T) {
	files, err := conformance.Collect([]string{"testdata", "../examples/scenarios"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			s, err := conformance.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			res := conformance.Run(context.Background(), s, conformance.Options{SearchPath: []string{"."}})
			for _, fl := range res.Failures {
				t.Error(fl)
			}
		})
	}
}
