package mm7

import (
	"fmt"

	"msyshost/lib/status"
)

// Request status codes, TS 23.140 clause 8 (the StatusCode values of the
// Status element; the thousands digit is the class: 1 success, 2 client
// error, 3 server error, 4 service error). Codes marked Rel-6 appear from the
// Release 6 schemas on.
const (
	Success                           = 1000
	PartialSuccess                    = 1100
	ClientError                       = 2000
	OperationRestricted               = 2001
	AddressError                      = 2002
	AddressNotFound                   = 2003
	MultimediaContentRefused          = 2004
	MessageIDNotFound                 = 2005
	LinkedIDNotFound                  = 2006
	MessageFormatCorrupt              = 2007
	ApplicationIDNotFound             = 2008 // Rel-6
	ReplyApplicationIDNotFound        = 2009 // Rel-6
	ServerError                       = 3000
	NotPossible                       = 3001
	MessageRejected                   = 3002
	MultipleAddressesNotSupported     = 3003
	ApplicationAddressingNotSupported = 3004 // Rel-6
	GeneralServiceError               = 4000
	ImproperIdentification            = 4001
	UnsupportedVersion                = 4002
	UnsupportedOperation              = 4003
	ValidationError                   = 4004
	ServiceError                      = 4005
	ServiceUnavailable                = 4006
	ServiceDenied                     = 4007
	ApplicationDenied                 = 4008 // Rel-6
)

// statusTexts are the names TS 23.140 gives the codes; StatusText defaults
// to them.
var statusTexts = map[int]string{
	Success:                           "Success",
	PartialSuccess:                    "Partial success",
	ClientError:                       "Client error",
	OperationRestricted:               "Operation restricted",
	AddressError:                      "Address Error",
	AddressNotFound:                   "Address Not Found",
	MultimediaContentRefused:          "Multimedia content refused",
	MessageIDNotFound:                 "Message ID Not found",
	LinkedIDNotFound:                  "LinkedID not found",
	MessageFormatCorrupt:              "Message format corrupt",
	ApplicationIDNotFound:             "Application ID not found",
	ReplyApplicationIDNotFound:        "Reply Application ID not found",
	ServerError:                       "Server Error",
	NotPossible:                       "Not Possible",
	MessageRejected:                   "Message rejected",
	MultipleAddressesNotSupported:     "Multiple addresses not supported",
	ApplicationAddressingNotSupported: "Application Addressing not supported",
	GeneralServiceError:               "General service error",
	ImproperIdentification:            "Improper identification",
	UnsupportedVersion:                "Unsupported version",
	UnsupportedOperation:              "Unsupported operation",
	ValidationError:                   "Validation error",
	ServiceError:                      "Service error",
	ServiceUnavailable:                "Service unavailable",
	ServiceDenied:                     "Service denied",
	ApplicationDenied:                 "Application denied",
}

// StatusText returns the name TS 23.140 gives code, or "" for a code it
// does not define.
func StatusText(code int) string { return statusTexts[code] }

// Status is the Status element of every response.
type Status struct {
	Code    int
	Text    string
	Details string // the Details element: free text an RS adds (Rel-5 on)
}

// NewStatus returns a Status with the code's own text.
func NewStatus(code int) Status { return Status{Code: code, Text: StatusText(code)} }

// OK reports a success class code (1xxx): the request was carried out,
// maybe only for some recipients (1100).
func (s Status) OK() bool { return s.Code >= 1000 && s.Code < 2000 }

// temporary says, for the codes where retrying later can help, that it can.
// Everything in class 2 is the request's own fault and stays wrong; class 3
// is the relay's trouble and clears, except a rejection of this message or
// of its addressing; class 4 is about the service agreement, except a
// general or momentary failure of the service, and 4001 Improper
// identification: it answers credentials or a VASPID the relay does not
// (yet) accept, a config matter like HTTP 401, and bouncing the whole
// queue during a credential rotation would lose every message in it.
var temporary = map[int]bool{
	ServerError: true, NotPossible: true,
	GeneralServiceError: true, ImproperIdentification: true, ServiceError: true, ServiceUnavailable: true,
}

// permanentInServer are class 3 codes that retrying cannot fix.
var permanentInServer = map[int]bool{
	MessageRejected: true, MultipleAddressesNotSupported: true, ApplicationAddressingNotSupported: true,
}

// Temporary reports whether a request answered with code may succeed when
// sent again later. Class 3 codes an RS invents are temporary, class 2 and 4
// ones permanent; codes outside the four classes (some relays answer
// operator-specific numbers such as 6102) are temporary, so msyshost never
// bounces a message because it could not read the answer.
func Temporary(code int) bool {
	switch {
	case temporary[code]:
		return true
	case code >= 2000 && code < 3000:
		return false
	case code >= 3000 && code < 4000:
		return !permanentInServer[code]
	case code >= 4000 && code < 5000:
		return false
	}
	return true
}

// enhanced maps codes to the RFC 3463 status a bounce reports.
var enhanced = map[int]string{
	AddressError: "5.1.3", AddressNotFound: "5.1.1", MultimediaContentRefused: "5.6.0",
	MessageFormatCorrupt: "5.6.0", MultipleAddressesNotSupported: "5.5.3",
	ImproperIdentification: "4.7.0", ServiceDenied: "5.7.1", OperationRestricted: "5.7.1",
	ApplicationDenied: "5.7.1", MessageRejected: "5.7.1", UnsupportedVersion: "5.5.0",
	UnsupportedOperation: "5.5.0", ValidationError: "5.5.2",
}

// Err returns nil for a success status and otherwise the status as the
// shared status error: protocol mm7, the StatusCode, the text the relay
// gave (Details appended), and whether the spool may retry.
func (s Status) Err() error {
	if s.OK() {
		return nil
	}
	text := s.Text
	if text == "" {
		text = StatusText(s.Code)
	}
	if s.Details != "" {
		text += " (" + s.Details + ")"
	}
	e := &status.Error{Protocol: status.MM7, Code: s.Code, Text: text, Temporary: Temporary(s.Code)}
	if enh, ok := enhanced[s.Code]; ok {
		e.Enhanced = enh
	} else if e.Temporary {
		e.Enhanced = "4.4.0"
	} else {
		e.Enhanced = "5.0.0"
	}
	return e
}

func (s Status) String() string {
	if s.Text == "" {
		return fmt.Sprintf("%d", s.Code)
	}
	return fmt.Sprintf("%d %s", s.Code, s.Text)
}

// MMStatus values of a delivery report or read reply (TS 23.140 clause 8,
// MM7_delivery_report.REQ and MM7_read_reply.REQ). lib/retry decides which
// are final.
const (
	MMStatusExpired                 = "Expired"
	MMStatusRetrieved               = "Retrieved"
	MMStatusRejected                = "Rejected"
	MMStatusIndeterminate           = "Indeterminate"
	MMStatusForwarded               = "Forwarded"
	MMStatusUnrecognised            = "Unrecognised"
	MMStatusDeferred                = "Deferred"
	MMStatusDeliveryConditionNotMet = "DeliveryConditionNotMet" // Rel-6
	MMStatusRead                    = "Read"                    // read reply only
	MMStatusDeleted                 = "Deleted"                 // read reply only
)
