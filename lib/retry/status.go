package retry

import (
	"strconv"
	"strings"
)

// Channel is the protocol a message was submitted over.
type Channel string

const (
	SMPP Channel = "smpp"
	MM7  Channel = "mm7"
)

// Outcome is what a receipt says about delivery.
type Outcome int

const (
	// Intermediate receipts (ENROUTE, ACCEPTD, BUFFRED; Forwarded, Deferred,
	// Indeterminate) call no hook.
	Intermediate Outcome = iota
	Positive
	Negative
	// Unrecognised is a status no mapping knows; it is logged and treated
	// as Intermediate, so the stored copy waits for a final receipt.
	Unrecognised
)

func (o Outcome) String() string {
	switch o {
	case Positive:
		return "positive"
	case Negative:
		return "negative"
	case Intermediate:
		return "intermediate"
	}
	return "unrecognised"
}

// smppStats maps the receipt text's stat: field, and the names of the
// message_state TLV values, to outcomes (SMPP v3.4 appendix B and 5.2.28).
var smppStats = map[string]Outcome{
	"DELIVRD": Positive, "DELIVERED": Positive,
	"EXPIRED": Negative, "DELETED": Negative, "UNDELIV": Negative, "UNDELIVERABLE": Negative,
	"REJECTD": Negative, "REJECTED": Negative, "UNKNOWN": Negative, "SKIPPED": Negative,
	"ENROUTE": Intermediate, "ACCEPTD": Intermediate, "ACCEPTED": Intermediate, "BUFFRED": Intermediate,
	"SCHEDULED": Intermediate,
}

// smppStates are the message_state TLV (0x0427) values.
var smppStates = map[int]Outcome{
	1: Intermediate, // ENROUTE
	2: Positive,     // DELIVERED
	3: Negative,     // EXPIRED
	4: Negative,     // DELETED
	5: Negative,     // UNDELIVERABLE
	6: Intermediate, // ACCEPTED
	7: Negative,     // UNKNOWN
	8: Negative,     // REJECTED
	9: Negative,     // SKIPPED (v5.0)
}

// SMPPOutcome classifies an SMPP receipt status: a stat: word of the receipt
// text in any case, or a message_state number.
func SMPPOutcome(stat string) Outcome {
	s := strings.ToUpper(strings.TrimSpace(strings.TrimRight(stat, "\x00")))
	if o, ok := smppStats[s]; ok {
		return o
	}
	if n, err := strconv.Atoi(s); err == nil {
		if o, ok := smppStates[n]; ok {
			return o
		}
	}
	return Unrecognised
}

// mm7Statuses maps MM7 DeliveryReportReq MMStatus values (3GPP TS 23.140)
// to outcomes, lower-cased.
var mm7Statuses = map[string]Outcome{
	"retrieved": Positive,
	"expired":   Negative, "rejected": Negative, "unrecognised": Negative, "unrecognized": Negative,
	"deliveryconditionnotmet": Negative,
	"forwarded":               Intermediate, "deferred": Intermediate, "indeterminate": Intermediate,
}

// MM7Outcome classifies an MM7 delivery report status, in any case.
func MM7Outcome(status string) Outcome {
	if o, ok := mm7Statuses[strings.ToLower(strings.TrimSpace(status))]; ok {
		return o
	}
	return Unrecognised
}

// Bucket returns the mstore bucket of a submission: MADR-<shortcode>, or
// MADR-MM7 for MM7 without a short code or when the bucket must not use it.
// An SMPP submission without a source address goes to MADR-SMPP.
func Bucket(ch Channel, shortcode string, useShortcode bool) string {
	if ch == MM7 && (shortcode == "" || !useShortcode) {
		return "MADR-MM7"
	}
	if shortcode == "" {
		return "MADR-SMPP"
	}
	return "MADR-" + shortcode
}
