package conformance

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"msyshost/lib/smsc/smsctest"
	// The SMPP channel and the SMSC simulator a scenario with peers builds.
	_ "msyshost/lib/smppclient"
	_ "msyshost/lib/smsc"
)

// TestExampleScenariosOverSMPPPeers runs every example scenario that
// talks SMPP over the network (peers: [smsc]) against the built-in
// simulator its config describes and against two SMSCs nobody here
// wrote, node-smpp and Net::SMPP, given as `msyshost test --peer smsc=`
// would: the same steps and expectations must hold with each.
func TestExampleScenariosOverSMPPPeers(t *testing.T) {
	files, err := Collect([]string{filepath.Join("..", "..", "examples", "scenarios")})
	if err != nil {
		t.Fatal(err)
	}
	var scenarios []*Scenario
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(s.Peers, "smsc") {
			scenarios = append(scenarios, s)
		}
	}
	if len(scenarios) < 3 {
		t.Fatalf("%d example scenarios name the smsc peer, want the positive, negative and early-receipt ones", len(scenarios))
	}
	type target struct {
		name string
		addr func(t testing.TB) string
	}
	targets := []target{{"built-in simulator", func(testing.TB) string { return "" }}}
	for _, p := range smsctest.Peers {
		targets = append(targets, target{p.Name, p.Run})
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			opts := Options{SearchPath: []string{filepath.Join("..", "..", "scriptlets")}}
			if addr := tg.addr(t); addr != "" {
				opts.Peers = map[string]string{"smsc": addr}
			}
			for _, s := range scenarios {
				res := Run(context.Background(), s, opts)
				if !res.Passed() {
					t.Errorf("%s (%s):\n%v", s.Name, s.File, res.Failures)
				}
			}
		})
	}
}
