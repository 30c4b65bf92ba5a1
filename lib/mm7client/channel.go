package mm7client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"msyshost/lib/channel"
	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mm7"
	"msyshost/lib/retry"
	"msyshost/lib/status"
)

// Channel delivers messages to MMSCs: the router hands it the messages of
// domains with delivery_method "mm7".
type Channel struct {
	// Config returns the config in force, read per message so a reload
	// applies at once.
	Config func() *config.Config
	Core   *retry.Core
	Client *Client
	Log    *slog.Logger
}

var _ channel.Channel = (*Channel)(nil)

// New returns a channel reading its options from the config cfg returns
// and keeping tracked submissions through core.
func New(cfg func() *config.Config, core *retry.Core, log *slog.Logger) *Channel {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Channel{Config: cfg, Core: core, Client: &Client{Log: log}, Log: log}
}

// Name is the component's name.
func (ch *Channel) Name() string { return "mm7 channel" }

// Start has nothing to start: connections open with the first message.
func (ch *Channel) Start(context.Context) error { return nil }

// Stop closes idle connections to the relays.
func (ch *Channel) Stop(context.Context) error {
	ch.Client.http().CloseIdleConnections()
	return nil
}

// Deliver submits m and, when the domain tracks MM7 submissions
// (mm7_delivery_report and mm7_mstore_save_message), runs the store hook
// and makes the stored copy durable before it returns nil, so a delivery
// report can never find nothing to act on. The relay's MessageID names the
// copy. A copy that cannot be stored is a temporary error: the spool keeps
// the message and tries again, which may send it twice rather than lose
// track of it.
func (ch *Channel) Deliver(ctx context.Context, m *message.Message) error {
	if m.Context == nil {
		m.Context = map[string]string{}
	}
	domain := m.RoutingDomainOf()
	scope := config.Scope{BindingGroup: m.BindingGroup, Binding: m.Binding, Domain: domain}
	s, err := SettingsFor(ch.Config(), scope)
	if err != nil {
		return &status.Error{Protocol: status.MM7, Temporary: true, Enhanced: "4.3.5",
			Component: ch.Name(), Text: "config for domain " + domain, Err: err}
	}
	req, shortcode, err := submitReq(m, &s)
	if err != nil {
		return err
	}
	tid := ch.Client.TransactionID()
	log := ch.Log.With("msgid", m.ID, "rcpt", m.RcptTo, "transaction_id", tid, "url", s.URL)
	rsp, err := ch.Client.Submit(ctx, s, tid, req)
	m.Context[CtxTransactionID] = tid
	if rsp != nil {
		m.Context[CtxResponseStatus] = strconv.Itoa(rsp.Status.Code)
		m.Context[CtxResponseStatusDetail] = rsp.Status.Text
	}
	if err != nil {
		if se, ok := status.Of(err); ok && se.Component == "" {
			se.Component = ch.Name()
		}
		log.Info("MM7 submission failed", "error", err, "temporary", status.IsTemporary(err))
		return err
	}
	m.Context[CtxResponseMessageID] = rsp.MessageID
	if !s.Policy.Tracked() {
		log.Info("MM7 submission accepted", "mm7_message_id", rsp.MessageID, "tracked", false)
		return nil
	}
	key, err := ch.Core.Submitted(ctx, s.Policy.Submission(m, rsp.MessageID, shortcode, m.Binding, domain))
	if err != nil {
		log.Error("MM7 submission accepted but not stored; the spool will send it again", "mm7_message_id", rsp.MessageID, "error", err)
		return &status.Error{Protocol: status.Store, Temporary: true, Enhanced: "4.3.0", Component: ch.Name(),
			Text: fmt.Sprintf("the MMSC accepted the message as %s but it could not be stored for its delivery report", rsp.MessageID),
			Err:  err}
	}
	log.Info("MM7 submission accepted", "mm7_message_id", rsp.MessageID, "tracked", true, "key", key.String())
	return nil
}

// submitReq builds the SubmitReq of m, with the message's context
// overriding the config as Momentum's mm7 hooks may set it, and returns the
// sender's short code (for the bucket).
func submitReq(m *message.Message, s *Settings) (*mm7.SubmitReq, string, error) {
	ctxOr := func(key, def string) string {
		if v, ok := m.Context[key]; ok && v != "" {
			return v
		}
		return def
	}
	if v, ok := m.Context[CtxDeliveryReport]; ok {
		s.Policy.DeliveryReport = truthy(v)
	}
	if v, ok := m.Context[CtxReadReply]; ok {
		s.ReadReply = truthy(v)
	}
	rcpt, err := Recipient(m.RcptTo, ctxOr(CtxNumberPrefix, s.NumberPrefix))
	if errors.Is(err, errNotPhone) {
		return nil, "", &status.Error{Protocol: status.MM7, Code: mm7.AddressError, Enhanced: "5.1.3",
			Text: fmt.Sprintf("recipient %s is not a phone number: an MM7 domain's recipients are numbers such as 15551234567@%s", m.RcptTo, m.RoutingDomainOf())}
	}
	sender, shortcode := SenderAddress(ctxOr(CtxSenderAddress, s.SenderAddress), s.SenderAddressType)
	subject, content := ContentOf(m, s.SimpleMIME)
	req := &mm7.SubmitReq{
		MM7Version: s.Version, VASPID: s.VASPID, VASID: s.VASID, SenderAddress: sender,
		Recipients:   mm7.Recipients{To: []mm7.Address{rcpt}},
		ServiceCode:  ctxOr(CtxServiceCode, s.ServiceCode),
		MessageClass: messageClass(ctxOr(CtxMessageClass, s.MessageClass)),
		// Momentum writes DeliveryReport only to ask for reports.
		DeliveryReport: map[bool]*bool{true: mm7.Bool(true)}[s.Policy.DeliveryReport],
		ReadReply:      map[bool]*bool{true: mm7.Bool(true)}[s.ReadReply],
		Subject:        subject, Content: content,
	}
	if s.ReplyCharging {
		req.ReplyCharging = &mm7.ReplyCharging{Size: s.ReplyChargingSize, Deadline: s.ReplyDeadline}
	}
	return req, shortcode, nil
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "on", "yes", "enabled":
		return true
	}
	return false
}

// messageClass writes the class as the schema spells it; Momentum's own
// example writes "personal".
func messageClass(v string) string {
	for _, c := range []string{"Personal", "Informational", "Advertisement", "Auto"} {
		if strings.EqualFold(v, c) {
			return c
		}
	}
	return v
}
