package smsc

import (
	"strings"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/smpp"
)

func scope(t *testing.T, src string) *config.Node {
	t.Helper()
	cfg, err := config.Parse("sim.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Check(false); err != nil {
		t.Fatal(err)
	}
	return cfg.Root().Scopes(ScopeKind)[0]
}

// Every option of the SMSC_Simulator scope reaches the simulator, and an
// empty scope gives `msyshost sim smsc`'s defaults.
func TestSimulatorScope(t *testing.T) {
	o, err := FromConfig(scope(t, `SMSC_Simulator {
  listen = "127.0.0.1:12775"  system_id = "carrier"  accounts = [ esme = "pw" ]
  id_format = hexadecimal  receipt_id_format = decimal
  delay = 250ms  redeliver = 3
  outcomes = [ DELIVRD = 8 undeliv = 2 ]  outcome_for = [ "1666" = "expired" ]
  intermediate = always  receipt = text  trailing_nul = true  duplicate_every = 3
  early = on  max_rate = 50  data_sm = true
  respond_delay = 100ms  enquire_link = 30  tlv_submit_id = true  receipt_ucs2 = true
  plain_receipts = true  resp_tlvs = true
}`))
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr != "127.0.0.1:12775" || o.SystemID != "carrier" || o.Accounts["esme"] != "pw" ||
		o.IDFormat != smpp.IDHex || o.ReceiptIDFormat == nil || *o.ReceiptIDFormat != smpp.IDDecimal ||
		o.ReceiptDelay != 250*time.Millisecond || o.Redeliver != 3*time.Second ||
		len(o.Outcomes) != 2 || o.Outcomes[1] != (Weighted{"UNDELIV", 2}) || o.OutcomeFor["1666"] != "EXPIRED" ||
		o.Intermediate != IntermediateAlways || o.Style != TextOnly || !o.TrailingNUL || o.DuplicateEvery != 3 ||
		!o.Early || o.MaxRate != 50 || !o.DataSM || o.RespondDelay != 100*time.Millisecond || o.EnquireLink != 30*time.Second ||
		!o.TLVSubmitID || !o.ReceiptUCS2 || !o.PlainReceipts || !o.RespTLVs {
		t.Fatalf("options %+v", o)
	}
	o, err = FromConfig(scope(t, "SMSC_Simulator { }"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr != DefaultListen || o.SystemID != "msyshost-smsc" || o.IDFormat != smpp.IDString || o.ReceiptIDFormat != nil ||
		o.ReceiptDelay != time.Second || o.Redeliver != 2*time.Second || o.Outcomes != nil || o.Style != Both ||
		o.Intermediate != IntermediateRequested || o.Early || o.TrailingNUL || o.RespondDelay != 0 || o.EnquireLink != 0 ||
		o.TLVSubmitID || o.ReceiptUCS2 || o.PlainReceipts || o.RespTLVs {
		t.Fatalf("defaults %+v", o)
	}
}

// A bad value names the option and where it was set; an option the
// simulator does not have is refused by the config check.
func TestSimulatorScopeErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`SMSC_Simulator { outcomes = [ DELIVRD = many ] }`, `sim.conf:1:`},
		{`SMSC_Simulator { outcomes = [ ENROUTE = 1 ] }`, `outcomes: "ENROUTE": want DELIVRD`},
		{`SMSC_Simulator { outcome_for = [ "1666" = "LOST" ] }`, `outcome_for: 1666: "LOST"`},
		{`SMSC_Simulator { listen = "127.0.0.1" }`, `sim.conf:1:`},
		{`SMSC_Simulator { listen = "127.0.0.1:0" }`, `listen: give a port`},
		{`SMSC_Simulator { duplicate_every = -2 }`, `duplicate_every: -2 is negative`},
	} {
		_, err := FromConfig(scope(t, c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.src, err, c.want)
		}
	}
	cfg, err := config.Parse("sim.conf", []byte("SMSC_Simulator {\n  receipt_delay = 2\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Check(false); err == nil || !strings.Contains(err.Error(), "sim.conf:2:") || !strings.Contains(err.Error(), "receipt_delay") {
		t.Fatalf("an unknown option: %v", err)
	}
}

// Held receipts wait, while binds and submits go on, until Release; a
// prefix's outcome overrides the mix.
func TestHoldAndOutcomeFor(t *testing.T) {
	s := start(t, Options{Hold: true, Outcomes: []Weighted{{"DELIVRD", 1}}, OutcomeFor: map[string]string{"1666": "UNDELIV", "16667": "EXPIRED"}})
	e := dial(t, s)
	if st := e.bind(t, smpp.BindTransceiver, "esme", ""); st != smpp.ROK {
		t.Fatal(st)
	}
	for _, dest := range []string{"15550000", "16660000", "16667000"} {
		if p := e.submit(t, dest, smpp.RegDlvSMSC); p.Status != smpp.ROK {
			t.Fatal(p.Status)
		}
	}
	time.Sleep(100 * time.Millisecond) // past the delay: nothing may come while held
	if got := e.receipts(); len(got) != 0 || s.Pending() != 3 {
		t.Fatalf("%d receipts sent, %d pending while held", len(got), s.Pending())
	}
	s.Release()
	eventually(t, func() bool { return len(e.receipts()) == 3 && s.Pending() == 0 })
	stats := map[string]bool{}
	for _, rc := range e.receipts() {
		stats[rc.Stat] = true
	}
	if !stats["DELIVRD"] || !stats["UNDELIV"] || !stats["EXPIRED"] {
		t.Fatalf("states %v", stats)
	}
}

// The receipt style and intermediate mode have one parser each, shared by
// the config scope and `msyshost sim smsc` (review item 25): an unknown
// value is an error in both, never the zero mode.
func TestStyleAndIntermediateParsers(t *testing.T) {
	for in, want := range map[string]ReceiptStyle{"both": Both, "TLV": TLVOnly, " text ": TextOnly} {
		if got, err := ParseStyle(in); err != nil || got != want {
			t.Errorf("ParseStyle(%q) = %v, %v", in, got, err)
		}
	}
	for in, want := range map[string]IntermediateMode{"requested": IntermediateRequested, "Always": IntermediateAlways, "never": IntermediateNever} {
		if got, err := ParseIntermediate(in); err != nil || got != want {
			t.Errorf("ParseIntermediate(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseStyle("tlvs"); err == nil || !strings.Contains(err.Error(), "want both, tlv or text") {
		t.Errorf("ParseStyle(tlvs): %v", err)
	}
	if _, err := ParseIntermediate("sometimes"); err == nil {
		t.Error("ParseIntermediate(sometimes) succeeded")
	}
}
