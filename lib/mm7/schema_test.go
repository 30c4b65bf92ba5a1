package mm7

import (
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
)

// schema is, per message, the children of the message element in the
// order TS 23.140's schema descriptions give them, for the Release 5
// schemas and for the Release 6 ones; "!" marks the mandatory ones. It is
// written from the specification, independently of the writer, so a
// writer that puts an element out of order, writes one its release does
// not have, or leaves out a mandatory one fails TestElementOrderPerRelease.
var schema = map[string]map[string][]string{
	"REL-5": {
		"SubmitReq": {"!MM7Version", "!SenderIdentification", "!Recipients", "ServiceCode", "LinkedID", "MessageClass",
			"TimeStamp", "ReplyCharging", "EarliestDeliveryTime", "ExpiryDate", "DeliveryReport", "ReadReply", "Priority",
			"Subject", "ChargedParty", "DistributionIndicator", "Content"},
		"SubmitRsp":         {"!MM7Version", "!Status", "MessageID"},
		"DeliveryReportReq": {"!MM7Version", "MMSRelayServerID", "!MessageID", "!Recipient", "!Sender", "!Date", "!MMStatus", "StatusText"},
		"DeliveryReportRsp": {"!MM7Version", "!Status"},
		"DeliverReq": {"!MM7Version", "MMSRelayServerID", "LinkedID", "!Sender", "Recipients", "TimeStamp",
			"ReplyChargingID", "Priority", "Subject", "Content"},
		"DeliverRsp":   {"!MM7Version", "!Status", "ServiceCode"},
		"ReadReplyReq": {"!MM7Version", "MMSRelayServerID", "!MessageID", "!Recipient", "!Sender", "!TimeStamp", "!MMStatus", "StatusText"},
		"ReadReplyRsp": {"!MM7Version", "!Status"},
		"VASPErrorRsp": {"!MM7Version", "!Status"},
		"RSErrorRsp":   {"!MM7Version", "!Status"},
	},
	"REL-6": {
		"SubmitReq": {"!MM7Version", "!SenderIdentification", "!Recipients", "ServiceCode", "LinkedID", "MessageClass",
			"TimeStamp", "ReplyCharging", "EarliestDeliveryTime", "ExpiryDate", "DeliveryReport", "ReadReply", "Priority",
			"Subject", "ChargedParty", "ChargedPartyID", "DistributionIndicator", "DeliveryCondition", "ApplicID",
			"ReplyApplicID", "AuxApplicInfo", "ContentClass", "DRMContent", "Content"},
		"SubmitRsp": {"!MM7Version", "!Status", "MessageID"},
		"DeliveryReportReq": {"!MM7Version", "MMSRelayServerID", "!MessageID", "!Recipient", "!Sender", "!Date", "!MMStatus",
			"MMStatusExtension", "StatusText", "ApplicID", "ReplyApplicID", "AuxApplicInfo"},
		"DeliveryReportRsp": {"!MM7Version", "!Status"},
		"DeliverReq": {"!MM7Version", "MMSRelayServerID", "VASPID", "VASID", "LinkedID", "!Sender", "Recipients",
			"Previouslysentby", "PreviouslySentDateandTime", "SenderSPI", "RecipientSPI", "TimeStamp", "ReplyChargingID",
			"Priority", "Subject", "ApplicID", "ReplyApplicID", "AuxApplicInfo", "UACapabilities", "Content"},
		"DeliverRsp": {"!MM7Version", "!Status", "ServiceCode"},
		"ReadReplyReq": {"!MM7Version", "MMSRelayServerID", "!MessageID", "!Recipient", "!Sender", "!TimeStamp", "!MMStatus",
			"StatusText", "ApplicID", "ReplyApplicID", "AuxApplicInfo"},
		"ReadReplyRsp": {"!MM7Version", "!Status"},
		"VASPErrorRsp": {"!MM7Version", "!Status"},
		"RSErrorRsp":   {"!MM7Version", "!Status"},
	},
}

// everything returns one message of each kind with every field msyshost
// knows set.
func everything() []Message {
	st := Status{Code: 1000, Text: "Success", Details: "d"}
	num := Address{Kind: Number, Value: "15551234567"}
	sc := Address{Kind: ShortCode, Value: "4321"}
	rcpts := Recipients{To: []Address{num}, Cc: []Address{num}, Bcc: []Address{num}}
	content := &Entity{Header: []Field{{"Content-Type", "text/plain"}}, Body: []byte("hi")}
	return []Message{
		&SubmitReq{MM7Version: "v", VASPID: "p", VASID: "s", SenderAddress: &sc, Recipients: rcpts, ServiceCode: "c",
			LinkedID: "l", MessageClass: "Personal", TimeStamp: "t", ReplyCharging: &ReplyCharging{Size: "1", Deadline: "d"},
			EarliestDeliveryTime: "e", ExpiryDate: "x", DeliveryReport: Bool(true), ReadReply: Bool(true), Priority: "High",
			Subject: "s", ChargedParty: "Sender", ChargedPartyID: "id", DistributionIndicator: Bool(false),
			AllowAdaptations: Bool(true), Content: content},
		&SubmitRsp{MM7Version: "v", Status: st, MessageID: "m"},
		&DeliveryReportReq{MM7Version: "v", MMSRelayServerID: "r", MessageID: "m", Recipient: num, Sender: sc, Date: "d",
			MMStatus: "Expired", MMStatusExtension: "x", StatusText: "t", ApplicID: "a", ReplyApplicID: "b", AuxApplicInfo: "c"},
		&DeliveryReportRsp{MM7Version: "v", Status: st},
		&DeliverReq{MM7Version: "v", MMSRelayServerID: "r", VASPID: "p", VASID: "s", LinkedID: "l", Sender: num,
			Recipients: rcpts, TimeStamp: "t", ReplyChargingID: "rc", Priority: "Low", Subject: "s", ApplicID: "a",
			ReplyApplicID: "b", AuxApplicInfo: "c", Content: content},
		&DeliverRsp{MM7Version: "v", Status: st, ServiceCode: "c"},
		&ReadReplyReq{MM7Version: "v", MMSRelayServerID: "r", MessageID: "m", Recipient: num, Sender: sc, TimeStamp: "t",
			MMStatus: "Read", StatusText: "t", ApplicID: "a", ReplyApplicID: "b", AuxApplicInfo: "c"},
		&ReadReplyRsp{MM7Version: "v", Status: st},
		&ErrorRsp{VASP: true, MM7Version: "v", Status: st},
		&ErrorRsp{MM7Version: "v", Status: st},
	}
}

// children returns the local names of the children of the body's first
// element, in document order.
func children(t *testing.T, doc []byte) (string, []string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var path []string
	var msg string
	var out []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return msg, out
		}
		if err != nil {
			t.Fatalf("output is not XML: %v\n%s", err, doc)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			path = append(path, e.Name.Local)
			if len(path) == 3 && path[1] == "Body" {
				msg = e.Name.Local
			}
			if len(path) == 4 && path[1] == "Body" {
				out = append(out, e.Name.Local)
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
}

func TestElementOrderPerRelease(t *testing.T) {
	for _, ns := range Namespaces {
		rel := release(ns)[:5]
		for _, m := range everything() {
			doc, err := Style{}.Marshal(&Envelope{TransactionID: "t", Namespace: ns, Body: m})
			if err != nil {
				t.Fatalf("%s %s: %v", release(ns), m.Name(), err)
			}
			name, got := children(t, doc)
			want, ok := schema[rel][name]
			if !ok {
				t.Fatalf("%s: no schema entry for %s", release(ns), name)
			}
			at := -1
			for _, el := range got {
				i := slices.IndexFunc(want, func(w string) bool { return strings.TrimPrefix(w, "!") == el })
				switch {
				case i < 0:
					t.Errorf("%s %s: element %s is not in the %s schema", release(ns), name, el, rel)
				case i <= at:
					t.Errorf("%s %s: element %s out of order in %v", release(ns), name, el, got)
				}
				at = max(at, i)
			}
			for _, w := range want {
				if el, mandatory := strings.CutPrefix(w, "!"); mandatory && !slices.Contains(got, el) {
					t.Errorf("%s %s: mandatory %s missing from %v", release(ns), name, el, got)
				}
			}
		}
	}
}

// A SubmitReq with nothing to identify the sender still carries the
// mandatory SenderIdentification.
func TestEmptySenderIdentificationWritten(t *testing.T) {
	doc, err := Style{}.Marshal(&Envelope{TransactionID: "t", Namespace: NamespaceBase + "REL-5-MM7-1-0",
		Body: &SubmitReq{MM7Version: "5.3.0", Recipients: Recipients{To: []Address{{Kind: Number, Value: "1"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, got := children(t, doc); !slices.Contains(got, "SenderIdentification") {
		t.Errorf("no SenderIdentification: %v", got)
	}
	env, err := ParseEnvelope(doc, Limits{})
	if err != nil || env.Body.(*SubmitReq).SenderAddress != nil {
		t.Errorf("read back: %+v %v", env, err)
	}
}

func TestVersionOf(t *testing.T) {
	for ns, want := range map[string]string{
		"REL-5-MM7-1-0": "5.3.0", NamespaceBase + "REL-5-MM7-1-3": "5.6.0",
		"REL-6-MM7-1-0": "6.3.0", NamespaceBase + "REL-6-MM7-1-4.xsd": "6.8.0", "urn:other": DefaultVersion,
	} {
		if got := VersionOf(ns); got != want {
			t.Errorf("VersionOf(%s) = %s, want %s", ns, got, want)
		}
	}
	for _, ns := range Namespaces {
		if VersionOf(ns) == "" {
			t.Errorf("no MM7Version for %s", ns)
		}
	}
}
