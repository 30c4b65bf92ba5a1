// Package mm7 owns the MM7 wire format of 3GPP TS 23.140 (clause 8, the
// reference point between a VAS application and the MMS Relay/Server):
// the SOAP 1.1 envelope with its TransactionID header, the request and
// response elements of every transaction msyshost takes part in (submit,
// deliver, delivery report, read reply, and the generic error responses),
// their StatusCode values mapped onto lib/status, and the
// SOAP-with-attachments multipart/related bodies that carry the MMS content.
// It is Lua-free and knows no config: the VASP client (lib/mm7client), the
// delivery-report receiver (lib/mm7server) and the MMSC simulator
// (lib/mmsc) build on it.
//
// Parsing is bounded: bodies are capped by the caller, XML nesting, element
// and attribute counts and MIME parts by Limits, and a document type
// declaration (the door to entity expansion) is refused, as SOAP 1.1 §3
// requires. A malformed document is an *Error carrying the StatusCode the
// answer should report, never a panic.
package mm7

import "strings"

// NamespaceBase is the directory of the MM7 schemas; a schema's namespace is
// NamespaceBase followed by its release name (TS 23.140 clause 8, "the
// namespace identifies the version of the schema").
const NamespaceBase = "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/"

// Namespaces are the schema releases msyshost reads and writes: every
// Release 5 and Release 6 MM7 schema.
var Namespaces = []string{
	NamespaceBase + "REL-5-MM7-1-0",
	NamespaceBase + "REL-5-MM7-1-1",
	NamespaceBase + "REL-5-MM7-1-2",
	NamespaceBase + "REL-5-MM7-1-3",
	NamespaceBase + "REL-5-MM7-1-4",
	NamespaceBase + "REL-5-MM7-1-5",
	NamespaceBase + "REL-6-MM7-1-0",
	NamespaceBase + "REL-6-MM7-1-1",
	NamespaceBase + "REL-6-MM7-1-2",
	NamespaceBase + "REL-6-MM7-1-3",
	NamespaceBase + "REL-6-MM7-1-4",
}

// versions are the MM7Version each schema release goes with: the TS 23.140
// version that published it (REL-5-MM7-1-0 came with 5.3.0, each later
// schema with the next version of the specification; REL-6-MM7-1-0 with
// 6.3.0, REL-6-MM7-1-4 with 6.8.0). Relays rarely check the pairing, but
// one that validates reads a Release 6 version in a Release 5 namespace
// as an error.
var versions = map[string]string{
	"REL-5-MM7-1-0": "5.3.0", "REL-5-MM7-1-1": "5.4.0", "REL-5-MM7-1-2": "5.5.0",
	"REL-5-MM7-1-3": "5.6.0", "REL-5-MM7-1-4": "5.7.0", "REL-5-MM7-1-5": "5.8.0",
	"REL-6-MM7-1-0": "6.3.0", "REL-6-MM7-1-1": "6.4.0", "REL-6-MM7-1-2": "6.5.0",
	"REL-6-MM7-1-3": "6.6.0", "REL-6-MM7-1-4": "6.8.0",
}

// DefaultNamespace and DefaultVersion are what Momentum's mm7_xml_schema
// and mm7_version default to.
const (
	DefaultNamespace = NamespaceBase + "REL-6-MM7-1-4"
	DefaultVersion   = "6.8.0"
)

// SOAPNamespace is the SOAP 1.1 envelope namespace MM7 is bound to.
const SOAPNamespace = "http://schemas.xmlsoap.org/soap/envelope/"

// CanonicalNamespace returns the schema namespace ns names, accepting what
// configs and peers write in its place: a trailing ".xsd" (Momentum's own
// mm7_xml_schema examples end in it), a trailing slash, or the bare release
// name ("REL-5-MM7-1-2"). ok is false for a namespace that is not an MM7
// schema release.
func CanonicalNamespace(ns string) (string, bool) {
	s := strings.TrimSpace(ns)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".xsd")
	if !strings.Contains(s, "/") {
		s = NamespaceBase + s
	}
	for _, known := range Namespaces {
		if strings.EqualFold(s, known) {
			return known, true
		}
	}
	return strings.TrimSpace(ns), false
}

// VersionOf returns the MM7Version that goes with a schema namespace
// (canonical or not), DefaultVersion for one that is not an MM7 schema.
func VersionOf(ns string) string {
	canon, ok := CanonicalNamespace(ns)
	if !ok {
		return DefaultVersion
	}
	return versions[release(canon)]
}

// rel6 reports a Release 6 namespace (or one msyshost does not know, which
// is written as the newest release it knows). Release 6 added optional
// elements (ApplicID, ReplyApplicID, AuxApplicInfo, ChargedPartyID,
// MMStatusExtension, the VASPID and VASID of a DeliverReq) that a
// validating Release 5 relay refuses.
func rel6(ns string) bool {
	canon, ok := CanonicalNamespace(ns)
	return !ok || strings.HasPrefix(release(canon), "REL-6-")
}

func release(ns string) string { return ns[strings.LastIndex(ns, "/")+1:] }
