package retry

import (
	"fmt"

	"msyshost/lib/config"
	"msyshost/lib/smpp"
)

// SMPPTracking is the SMPP submission policy the channel and the scenario
// runner share: the registered_delivery flags smpp_registered_delivery
// sets for scope, and whether the submission is tracked (store hook and
// stored copy), which is when a final receipt is asked for. Hint explains
// an untracked submission for a failed expectation.
func SMPPTracking(cfg *config.Config, scope config.Scope) (flags uint8, track bool, hint string, err error) {
	var values []string
	if v, ok := config.SMPPRegisteredDelivery.Value(cfg, scope); ok {
		values = v.List()
	}
	flags, err = smpp.ParseRegisteredDelivery(values)
	if err != nil {
		return 0, false, "", err
	}
	track = smpp.ReceiptsAsked(flags)
	if !track {
		hint = fmt.Sprintf(" (not tracked: smpp_registered_delivery is %q for domain %s; set it to \"SMSC_Delivery\")", values, scope.Domain)
	}
	return flags, track, hint, nil
}
