// Package hook is the contract between msyshost and the Lua hooks it calls:
// the return codes every hook family uses and the catalog of hook names
// Momentum documents, with their arguments. It is Lua-free, so the retry
// flow, the SMTP layer and luahost share it.
package hook

import "strings"

// Return codes. Momentum publishes numbers only for the mobile families
// (the retry reference: MSTORE_*, SMPP_*, MM7_*); the others are msyshost's
// choices, distinct within each family. Every family's "go on" value is 0,
// so a host that gets nothing usable from a hook continues.
const (
	// Continue is the "go on" value shared by every family.
	Continue = 0

	// validate_* callouts (msys.core.VALIDATE_*).
	ValidateCont  = Continue
	ValidateDone  = 1
	ValidateAgain = 2

	// smpp_store_submit, mm7_store_submit_hook (msys.mstore.MSTORE_*).
	MstoreContinue = Continue
	MstoreDone     = 1

	// smpp_handle_DR_* (msys.smpp.SMPP_*).
	SMPPContinue  = Continue
	SMPPDelivered = 3

	// mm7_handle_DR_* (msys.mms.MM7_*).
	MM7Continue  = Continue
	MM7Delivered = 3

	// ac_auth_perform_auth and msys.registerAuth (msys.core.EC_AUTH_*).
	AuthOK    = 0
	AuthFail  = 1
	AuthError = 2

	// C hooks in general (msys.core.EC_HOOK_*).
	HookCont  = Continue
	HookDone  = 1
	HookRetry = 2

	// generic_delivery_msg_dispose (msys.delivery.DELIVERY_*).
	DeliveryContinue   = Continue
	DeliveryDone       = 1
	DeliverySuccess    = 2
	DeliveryPermFailed = 3
	DeliveryTempFailed = 4
	DeliveryFail       = 5 // the push guide's request and response hooks
)

// codeNames names each family's codes as scripts write them.
var codeNames = []struct {
	match func(hook string) bool
	names map[int]string
}{
	{func(h string) bool { return h == "smpp_store_submit" || h == "mm7_store_submit_hook" },
		map[int]string{MstoreContinue: "MSTORE_CONTINUE", MstoreDone: "MSTORE_DONE"}},
	{func(h string) bool { return strings.HasPrefix(h, "smpp_handle_DR_") },
		map[int]string{SMPPContinue: "SMPP_CONTINUE", SMPPDelivered: "SMPP_DELIVERED"}},
	{func(h string) bool { return strings.HasPrefix(h, "mm7_handle_DR_") },
		map[int]string{MM7Continue: "MM7_CONTINUE", MM7Delivered: "MM7_DELIVERED"}},
	{func(h string) bool { return strings.HasPrefix(h, "validate_") || h == "core_final_validation" },
		map[int]string{ValidateCont: "VALIDATE_CONT", ValidateDone: "VALIDATE_DONE", ValidateAgain: "VALIDATE_AGAIN"}},
	{func(h string) bool { return h == "generic_delivery_msg_dispose" },
		map[int]string{DeliveryContinue: "DELIVERY_CONTINUE", DeliveryDone: "DELIVERY_DONE", DeliverySuccess: "DELIVERY_SUCCESS",
			DeliveryPermFailed: "DELIVERY_PERMFAILED", DeliveryTempFailed: "DELIVERY_TEMPFAILED"}},
	{func(h string) bool { return h == "ac_auth_perform_auth" },
		map[int]string{AuthOK: "EC_AUTH_OK", AuthFail: "EC_AUTH_FAIL", AuthError: "EC_AUTH_ERROR"}},
}

// CodeName names what a hook returned as its family's constant
// ("SMPP_DELIVERED"), or "" when the hook's family has no name for it.
func CodeName(hook string, code int) string {
	for _, f := range codeNames {
		if f.match(hook) {
			return f.names[code]
		}
	}
	return ""
}
