package retry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mstore"
)

// MM7Policy is the MM7 half of the retry feature's submission policy, read
// from config the same way by the MM7 channel and the scenario runner:
// whether a submission is tracked (stored for its delivery report) and the
// bucket it goes in.
type MM7Policy struct {
	// DeliveryReport is mm7_delivery_report (default false): the SubmitReq
	// asks the relay for delivery reports.
	DeliveryReport bool
	// SaveMessage is mm7_mstore_save_message (default true).
	SaveMessage bool
	// UseShortcode is mm7_mstore_bucket_use_shortcode (global scope only,
	// default true).
	UseShortcode bool
}

// MM7PolicyOf reads the policy for a message's scope. Momentum documents
// mm7_mstore_bucket_use_shortcode for the global scope only, so it is
// read there whatever the scope.
func MM7PolicyOf(cfg *config.Config, scope config.Scope) (MM7Policy, error) {
	var p MM7Policy
	var err error
	if p.DeliveryReport, err = config.MM7DeliveryReport.Bool(cfg, scope); err != nil {
		return p, err
	}
	if p.SaveMessage, err = config.MM7MstoreSaveMessage.Bool(cfg, scope); err != nil {
		return p, err
	}
	p.UseShortcode, err = config.MM7MstoreBucketUseShortcode.Bool(cfg, config.Scope{})
	return p, err
}

// Tracked reports whether a submission is kept until its delivery report:
// reports are asked for and saving is not switched off.
func (p MM7Policy) Tracked() bool { return p.DeliveryReport && p.SaveMessage }

// Submission describes an accepted SubmitReq to Core.Submitted.
func (p MM7Policy) Submission(m *message.Message, messageID, shortcode, binding, domain string) Submission {
	return Submission{
		Channel: MM7, Message: m, IDs: []string{messageID}, Shortcode: shortcode,
		Binding: binding, Domain: domain, UseShortcode: p.UseShortcode, Save: p.Tracked(),
	}
}

// Why says why a submission to domain is not tracked, for messages that
// help a user whose expected copy is missing; "" when it is tracked.
func (p MM7Policy) Why(domain string) string {
	if p.Tracked() {
		return ""
	}
	return fmt.Sprintf("not tracked: mm7_delivery_report = %v and mm7_mstore_save_message = %v for domain %s",
		p.DeliveryReport, p.SaveMessage, domain)
}

// MM7Report is a delivery report as the MM7 hooks receive it.
type MM7Report struct {
	MessageID     string
	Status        string // MMStatus
	StatusText    string
	TransactionID string
	Recipient     string // the original MM's recipient
	Sender        string // the original MM's sender (the VASP's address)
	Date          string
	Version       string // MM7Version
}

// Trx is the table the mm7_handle_DR_* hooks get as their first argument.
// Every key is present, "" when the report did not carry it, so scripts
// can concatenate fields without nil checks.
func (r MM7Report) Trx() map[string]string {
	return map[string]string{
		"message_id":     r.MessageID,
		"status":         r.Status,
		"status_text":    r.StatusText,
		"transaction_id": r.TransactionID,
		"recipient":      r.Recipient,
		"sender":         r.Sender,
		"date":           r.Date,
		"mm7_version":    r.Version,
	}
}

// Receipt is the report as Core.Receipt takes it, for the message in
// bucket.
func (r MM7Report) Receipt(bucket string) Receipt {
	return Receipt{Channel: MM7, Bucket: bucket, ID: r.MessageID, Status: r.Status, Detail: r.StatusText, Trx: r.Trx()}
}

// Locate finds which of keys names a message the core knows of: stored,
// being stored, kept elsewhere by a hook, a segment of a known message, or
// one whose receipt was already acted on. A report may name its message
// ambiguously (the bucket depends on how the relay echoes the sender) and
// may overtake the save, so every key is tried until one appears or
// ParkTimeout passes. A key holding a report alias (MADR-MM7/<id> for a
// message stored under MADR-<shortcode>) gives the message's key; a record
// of another channel (an SMPP message under the same id) is not the
// report's. ok is false for a message the core does not know; err is set
// when the store could not answer.
func (c *Core) Locate(ctx context.Context, keys ...mstore.Key) (key mstore.Key, ok bool, err error) {
	if len(keys) == 0 {
		return mstore.Key{}, false, nil
	}
	c.init()
	timeout := c.ParkTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	deadline := c.now().Add(max(timeout, 0))
	poll := parkPoll
	for {
		if k, ok := c.known(keys); ok {
			return k, true, nil
		}
		for _, k := range keys {
			found, ok, err := c.locateStored(ctx, k)
			if err != nil || ok {
				return found, ok, err
			}
		}
		if timeout < 0 || !c.now().Before(deadline) {
			return keys[0], false, nil
		}
		select {
		case <-ctx.Done():
			return keys[0], false, ctx.Err()
		case <-c.after(min(poll, deadline.Sub(c.now()))):
		}
		poll = min(2*poll, parkPollMax)
	}
}

// known returns the first of keys the core's memory knows.
func (c *Core) known(keys []mstore.Key) (mstore.Key, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		_, pending := c.pending[k]
		_, seg := c.segments.get(k)
		_, ext := c.external.get(k)
		_, done := c.handled.get(k)
		if pending || seg || ext || done {
			return k, true
		}
	}
	return mstore.Key{}, false
}

// locateStored looks k up in the store, following a report alias to its
// message (which must be stored too, or be in memory).
func (c *Core) locateStored(ctx context.Context, k mstore.Key) (mstore.Key, bool, error) {
	rec, err := c.Store.Load(ctx, k)
	switch {
	case errors.Is(err, mstore.ErrNotFound):
		return k, false, nil
	case err != nil:
		return k, false, fmt.Errorf("looking up %s: %w", k, err)
	case other(rec, MM7):
		return k, false, nil
	case rec.AliasBucket == "":
		return k, true, nil
	}
	target := rec.Target()
	if t, ok := c.known([]mstore.Key{target}); ok {
		return t, true, nil
	}
	if _, err := c.Store.Load(ctx, target); err != nil {
		if errors.Is(err, mstore.ErrNotFound) {
			return k, false, nil // the alias outlived its message
		}
		return k, false, fmt.Errorf("looking up %s, which %s names: %w", target, k, err)
	}
	return target, true, nil
}
