// Package channel defines how a message leaves msyshost: the spool's router
// picks a Channel by the recipient's domain (`delivery_method` in the
// domain's config scope: smtp, smpp, mm7) and hands the message to it. The
// SMTP, SMPP and MM7 packages implement Channel; none of them knows the
// spool.
package channel

import (
	"context"
	"errors"

	"msyshost/lib/message"
)

// Channel delivers messages over one protocol.
type Channel interface {
	// Deliver hands m to the peer serving m.RcptTo. nil means the peer
	// accepted responsibility for it (for SMPP and MM7: submitted, the
	// store hook run and the copy durable when receipts are tracked).
	// Any other result is an error; a *status.Error in its chain says
	// whether the spool retries (temporary) or bounces (permanent). An
	// error without a status counts as temporary.
	Deliver(ctx context.Context, m *message.Message) error
}

// ErrDeferred, in the chain of a Deliver error, says the channel did not
// try the message at all (its destination is busy at its connection
// limit): the spool offers it again shortly and counts no attempt.
var ErrDeferred = errors.New("deferred by the channel")

// Func adapts a function to Channel.
type Func func(ctx context.Context, m *message.Message) error

func (f Func) Deliver(ctx context.Context, m *message.Message) error { return f(ctx, m) }
