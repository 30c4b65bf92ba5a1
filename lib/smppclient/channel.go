package smppclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"msyshost/lib/channel"
	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/retry"
	"msyshost/lib/smpp"
	"msyshost/lib/status"
)

// Channel delivers messages to SMPP domains: one Client per domain, each
// domain's per-message options read once per config, receipts handed to
// the retry core.
type Channel struct {
	cfg     func() *config.Config // the config in force
	core    *retry.Core
	log     *slog.Logger
	resolve func(addr string) string

	mu      sync.RWMutex
	clients map[string]*Client // by lower-case domain
	// submit holds each domain's per-message options read from one
	// config; a reload's new config is read again at its first use.
	submit atomic.Pointer[submitOptions]
	// progress is what the SMSC accepted of messages not yet stored.
	progress *progressBook
}

// submitOptions are the domains' per-message options as one config says.
type submitOptions struct {
	cfg  *config.Config
	by   map[string]Submit
	errs map[string]error
}

var _ channel.Channel = (*Channel)(nil)

// NewChannel builds a client for each domain from its config scope.
// Nothing connects until Start.
func NewChannel(cfg *config.Config, core *retry.Core, domains []string, log *slog.Logger) (*Channel, error) {
	return newChannel(func() *config.Config { return cfg }, nil, core, domains, log)
}

// newChannel builds the channel over the config cfgf returns: the binds
// from the config in force now, the per-message options from the one in
// force at each message and receipt (so a reload applies to them).
// resolve, when set, says where a bind connects instead of the configured
// address (a scenario's peers).
func newChannel(cfgf func() *config.Config, resolve func(string) string, core *retry.Core, domains []string, log *slog.Logger) (*Channel, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ch := &Channel{cfg: cfgf, resolve: resolve, core: core, log: log, clients: map[string]*Client{}, progress: newProgressBook()}
	cfg := cfgf()
	for _, d := range domains {
		set, err := FromConfig(cfg, d)
		if err != nil {
			return nil, err
		}
		if _, err := domainSubmit(cfg, d); err != nil {
			return nil, err
		}
		ch.add(d, set)
	}
	ch.options(cfg)
	return ch, nil
}

// options returns the per-message options of the config in force, read
// once per config.
func (ch *Channel) options(cfg *config.Config) *submitOptions {
	if o := ch.submit.Load(); o != nil && o.cfg == cfg {
		return o
	}
	o := &submitOptions{cfg: cfg, by: map[string]Submit{}, errs: map[string]error{}}
	ch.mu.RLock()
	for d := range ch.clients {
		if sc, err := domainSubmit(cfg, d); err != nil {
			o.errs[d] = err
		} else {
			o.by[d] = sc
		}
	}
	ch.mu.RUnlock()
	ch.submit.Store(o)
	return o
}

// submitOf returns a domain's per-message options in the config in force.
func (ch *Channel) submitOf(domain string) (Submit, error) {
	o := ch.options(ch.cfg())
	if err := o.errs[domain]; err != nil {
		return Submit{}, err
	}
	return o.by[domain], nil
}

// domainSubmit reads a domain's per-message options and tracking policy.
func domainSubmit(cfg *config.Config, domain string) (Submit, error) {
	sc, err := SubmitConfig(cfg, domain)
	if err != nil {
		return sc, fmt.Errorf("domain %s: %w", domain, err)
	}
	if sc.RegisteredDelivery, sc.Track, _, err = retry.SMPPTracking(cfg, config.Scope{Domain: domain}); err != nil {
		return sc, fmt.Errorf("domain %s: %w", domain, err)
	}
	return sc, nil
}

func (ch *Channel) add(domain string, set Settings) *Client {
	domain = strings.ToLower(domain)
	set.Resolve = ch.resolve
	c := New(set, func(ctx context.Context, bind string, sm *smpp.SM) smpp.Status {
		return ch.Receipt(ctx, domain, bind, sm)
	}, ch.log)
	ch.clients[domain] = c
	return c
}

// Domains lists the named Domain scopes of cfg that this channel serves:
// those whose delivery_method (with Momentum's fallback) is smpp, and
// those that set smpp_smsc_server. Lower-case, in config order.
func Domains(cfg *config.Config) []string {
	var out []string
	for _, d := range cfg.Root().Scopes("domain") {
		if !d.Named || d.Regex() != nil {
			continue
		}
		_, server := d.Get(config.SMPPSMSCServer)
		method, _ := cfg.Eval(config.Scope{Domain: d.Name}, deliveryMethod)
		name := strings.ToLower(d.Name)
		if (server || strings.EqualFold(strings.TrimSpace(method.String()), "smpp")) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// deliveryMethod is Momentum's option choosing a domain's channel
// (declared by lib/route).
const deliveryMethod = "delivery_method"

// Name is the component name.
func (ch *Channel) Name() string { return "smpp channel" }

// Start opens every client's binds.
func (ch *Channel) Start(ctx context.Context) error {
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	for _, c := range ch.clients {
		if err := c.Start(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Stop closes them.
func (ch *Channel) Stop(ctx context.Context) error {
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	var errs []error
	for _, c := range ch.clients {
		errs = append(errs, c.Stop(ctx))
	}
	return errors.Join(errs...)
}

// Client returns the client of a domain.
func (ch *Channel) Client(domain string) *Client {
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	return ch.clients[strings.ToLower(domain)]
}

// Clients returns every client, for the console.
func (ch *Channel) Clients() []*Client {
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	out := make([]*Client, 0, len(ch.clients))
	for _, c := range ch.clients {
		out = append(out, c)
	}
	return out
}

// Deliver submits m as an SMS: the text of its first text part (text/plain
// preferred) to the local part of its recipient, segmented as the domain
// says. Once every segment is accepted, the submission goes to the retry
// core (store hook, durable copy) when a receipt was asked for; only then
// does Deliver return nil.
//
// What the SMSC accepted is never sent again by a retry of this process:
// a long SMS failing at a segment, or a message whose storing failed, is
// kept where it stopped (progress.go) and the spool's next try goes on
// from there, with the same concatenation reference. A throttled segment
// is tried again here after the pause, so the handset does not wait for
// the spool's retry interval with half a message.
func (ch *Channel) Deliver(ctx context.Context, m *message.Message) error {
	// The routing domain picks the binds (msg:routing_domain, a console
	// reroute); the recipient's local part is the number.
	local, domain := localPart(m.RcptTo), m.RoutingDomainOf()
	c := ch.Client(domain)
	if c == nil {
		if slices.Contains(Domains(ch.cfg()), domain) {
			// Configured by a reload: binds open at start only.
			return temporary(domain, "4.3.5", nil, "domain %s got its SMPP options after msyshost started: restart it to open the binds", domain)
		}
		return permanent(domain, "5.1.2", "no SMPP binding for domain %q", domain)
	}
	sc, err := ch.submitOf(domain)
	if err != nil {
		return temporary(domain, "4.3.5", err, "SMPP options of domain %s", domain)
	}
	if local == "" {
		return permanent(domain, "5.1.3", "recipient %q has no number before the @", m.RcptTo)
	}
	text := Text(m)
	coding := uint8(sc.Coding)
	if sc.Coding < 0 {
		coding = smpp.PickCoding(text)
	}
	// wire is the data_coding sent; coding is how the octets are written.
	// An SMSC whose default alphabet is ASCII or Latin-1 reads data_coding
	// 0 octets as such: GSM 03.38 octets would turn '@' into 0x00, which
	// C-string SMSCs cut the message at.
	wire := coding
	if coding == smpp.CodingDefault && sc.Alphabet != smpp.CodingDefault {
		coding = sc.Alphabet
		if _, err := smpp.EncodeText(text, coding); err != nil && sc.Coding < 0 {
			coding, wire = smpp.CodingUCS2, smpp.CodingUCS2
		}
	}
	if sc.Split.Concat != smpp.ConcatUDH && !c.TakesTLVs() {
		// An SMPP v3.3 SMSC drops sar_* and message_payload TLVs, and the
		// handset would get the segments as separate messages.
		if !c.warnedTLVs.Swap(true) {
			ch.log.Warn("the SMSC did not say SMPP v3.4 (no sc_interface_version): long messages go as UDH concatenation",
				"domain", domain)
		}
		sc.Split.Concat = smpp.ConcatUDH
	}
	pg := ch.progress.resume(m.ID, domain, text, coding)
	if pg == nil {
		pg = &progress{domain: domain, text: text, coding: coding, ref: ch.progress.ref(local, sc.Split.RefLen)}
	}
	sc.Split.Ref = pg.ref
	segs, err := smpp.Split(text, coding, sc.Split)
	if err != nil {
		ch.progress.forget(m.ID)
		return permanent(domain, "5.6.0", "%v", err)
	}
	if pg.total != 0 && (pg.total != len(segs) || pg.concat != sc.Split.Concat) {
		// The domain's segmenting changed meanwhile: what was sent
		// cannot be completed.
		pg = &progress{domain: domain, text: text, coding: coding, ref: pg.ref}
	}
	pg.total, pg.concat = len(segs), sc.Split.Concat
	for i := len(pg.ids); i < len(segs); i++ {
		seg := segs[i]
		sm := &smpp.SM{
			ID: smpp.SubmitSM, ServiceType: sc.ServiceType,
			SourceAddrTON: sc.SourceTON, SourceAddrNPI: sc.SourceNPI, SourceAddr: sc.Source,
			DestAddrTON: sc.DestTON, DestAddrNPI: sc.DestNPI, DestinationAddr: local,
			EsmClass: seg.EsmClass, ValidityPeriod: sc.ValidityPeriod,
			RegisteredDelivery: sc.RegisteredDelivery, DataCoding: wire,
			ShortMessage: seg.ShortMessage, TLVs: seg.TLVs,
		}
		id, err := ch.submitSegment(ctx, c, sm, i > 0)
		if err != nil {
			if status.IsTemporary(err) && len(pg.ids) > 0 {
				ch.progress.keep(m.ID, pg)
				ch.log.Warn("long SMS stopped at a segment; the spool's retry goes on from it",
					"to", m.RcptTo, "accepted", len(pg.ids), "of", len(segs), "error", err)
			} else if len(pg.ids) > 0 {
				ch.progress.forget(m.ID)
				ch.log.Error("long SMS refused after some segments were accepted: the handset may show part of it",
					"to", m.RcptTo, "accepted", len(pg.ids), "of", len(segs), "error", err)
				if e, ok := status.Of(err); ok && !e.Temporary {
					// The bounce says what the recipient may have seen.
					partial := *e
					partial.Text += fmt.Sprintf(" (segment %d of %d; the first %d were accepted and may have reached the handset)",
						i+1, len(segs), len(pg.ids))
					return &partial
				}
			}
			return err
		}
		pg.ids = append(pg.ids, ch.idKey(id, sc))
	}
	ids := make([]string, 0, len(pg.ids))
	for _, id := range pg.ids {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if !sc.Track {
		ch.progress.forget(m.ID)
		return nil
	}
	if len(ids) == 0 {
		ch.progress.forget(m.ID)
		ch.log.Warn("SMS accepted without a message id: its receipt cannot be correlated, nothing is stored", "to", m.RcptTo)
		return nil
	}
	if err := ch.store(ctx, c, m, domain, sc, ids); err != nil {
		ch.progress.keep(m.ID, pg)
		e := status.Temporaryf(status.Store, 0, "4.3.0", "SMS %s submitted but not stored for its receipt; the retry stores it without sending it again", strings.Join(ids, ","))
		e.Component, e.Err = "smpp "+domain, err
		return e
	}
	ch.progress.forget(m.ID)
	return nil
}

// storeTries is how often the storing of an accepted message is tried
// within one delivery attempt, storePause apart, before the spool's retry
// takes over (which stores it without submitting it again).
const (
	storeTries = 3
	storePause = 200 * time.Millisecond
)

// store hands an accepted message to the retry core.
func (ch *Channel) store(ctx context.Context, c *Client, m *message.Message, domain string, sc Submit, ids []string) error {
	var err error
	for try := 0; try < storeTries; try++ {
		if try > 0 {
			select {
			case <-time.After(storePause):
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			}
		}
		_, err = ch.core.Submitted(ctx, retry.Submission{
			Channel: retry.SMPP, Message: m, IDs: ids, Shortcode: sc.Source,
			Binding: c.set.Name, Domain: domain, UseShortcode: true, Save: true,
		})
		if err == nil {
			return nil
		}
		ch.log.Warn("SMS accepted by the SMSC but not stored; trying again", "ids", strings.Join(ids, ","), "error", err)
	}
	return err
}

// throttleTries bounds the submits of one segment the SMSC keeps
// throttling within one delivery attempt.
const throttleTries = 4

// submitSegment submits one segment. A throttled one (ESME_RTHROTTLED,
// ESME_RMSGQFUL) after the first of a long SMS (inside, the handset holds
// part of the message) is tried again after the pause while ctx allows, a
// few times; a first one goes back to the spool, which holds nothing
// half sent.
func (ch *Channel) submitSegment(ctx context.Context, c *Client, sm *smpp.SM, inside bool) (string, error) {
	for try := 1; ; try++ {
		id, err := c.Submit(ctx, sm)
		if err == nil || !inside || !throttled(err) || try == throttleTries {
			return id, err
		}
		pause := max(c.set.ThrottleTimeout, time.Second)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < pause+c.set.SubmitTimeout {
			return "", err
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return "", err
		}
	}
}

// throttled reports an SMSC's ask to slow down.
func throttled(err error) bool {
	e, ok := status.Of(err)
	return ok && e.Protocol == status.SMPP && (e.Code == int(smpp.RThrottled) || e.Code == int(smpp.RMsgQFul))
}

// idKey is the stored key of an accepted segment's id ("" for none).
func (ch *Channel) idKey(id string, sc Submit) string {
	if id == "" {
		return ""
	}
	key, err := smpp.IDKey(id, sc.SubmitIDs, sc.SubmitIDs)
	if err != nil {
		// The SMSC has the message: failing here would send it again.
		// It is kept under the id as written; its receipt will say
		// whether the configured format is wrong.
		ch.log.Error("message id does not match smpp_submit_response_message_id_format; stored as written",
			"id", id, "format", sc.SubmitIDs.String(), "error", err)
		key, _ = smpp.IDKey(id, smpp.IDString, smpp.IDString)
	}
	return key
}

// Receipt handles a deliver_sm that arrived on a bind of domain: a
// delivery receipt is correlated (receipted_message_id or the receipt
// text, the id normalised from the receipt format to the submit format,
// the bucket from the domain's source address, as the submission's was)
// and handed to the retry core. It answers ROK only when the
// outcome is durable; a failure is ESME_RX_T_APPN so the SMSC sends it
// again. What can never be correlated is answered ROK and logged: the
// SMSC would otherwise send it forever.
func (ch *Channel) Receipt(ctx context.Context, domain, bind string, sm *smpp.SM) smpp.Status {
	// A logger with these attributes is built only when something is
	// logged: this is the path every receipt takes.
	log := func() *slog.Logger { return ch.log.With("bind", bind, "from", sm.SourceAddr) }
	if !smpp.IsReceipt(sm) {
		// Mobile-originated SMS to e-mail is not part of msyshost.
		log().Warn("mobile-originated SMS refused: msyshost handles delivery receipts only")
		return smpp.RxPAppn
	}
	rc, err := smpp.ParseReceipt(sm)
	if err != nil {
		log().Error("delivery receipt not understood; acknowledged and dropped", "error", err)
		return smpp.ROK
	}
	sc, err := ch.submitOf(domain)
	if err != nil {
		log().Error("delivery receipt held: the SMPP options of the domain are broken", "error", err)
		return smpp.RxTAppn
	}
	key, err := receiptKey(rc, sc)
	if err != nil {
		log().Error("delivery receipt id does not match the configured formats; acknowledged and dropped",
			"id", rc.ID, "submit_format", sc.SubmitIDs.String(), "receipt_format", sc.ReceiptIDs.String(), "error", err)
		return smpp.ROK
	}
	for _, tv := range sm.Malformed {
		log().Warn("delivery receipt with a malformed TLV; ignored", "id", key, "tlv", tv.Problem())
	}
	// The bucket is the submission's: the configured source address, not
	// the receipt's destination_addr, which SMSCs rewrite (a + or a
	// country prefix added).
	detail := ""
	if rc.Err != "" {
		detail = "err:" + rc.Err
	}
	stat := receiptStat(rc)
	if stat != rc.Stat {
		log().Warn("delivery receipt state not recognised; read from the receipt's other fields",
			"id", key, "stat", rc.Stat, "text_stat", rc.TextStat, "err", rc.Err, "taken_as", stat)
	}
	bucket := retry.Bucket(retry.SMPP, sc.Source, true)
	also := ch.accountKeys(domain, rc)
	if sc.SubmitIDs == smpp.IDString {
		for _, v := range idVariants(key) {
			also = append(also, mstore.Key{Bucket: bucket, ID: v})
		}
	}
	res, err := ch.core.Receipt(ctx, retry.Receipt{
		Channel: retry.SMPP, Bucket: bucket, ID: key,
		Also: also, Status: stat, Detail: detail,
	})
	if err != nil {
		log().Error("delivery receipt not acted on; the SMSC will send it again", "id", key, "stat", rc.Stat, "error", err)
		return smpp.RxTAppn
	}
	if ch.log.Enabled(ctx, slog.LevelDebug) {
		log().Debug("delivery receipt", "id", key, "stat", rc.Stat, "outcome", res.Outcome.String(), "duplicate", res.Duplicate)
	}
	return smpp.ROK
}

// receiptStat is the state a receipt reports. An unrecognised
// message_state or stat: (SMSCs invent their own words: "FAILED",
// "DELIVERD") falls back to the other of the two, then to err:: a
// non-zero network error code is a failed delivery (appendix B: err: is
// the error code of a failure). What still says nothing is left as it is,
// and the retry core treats it as intermediate.
func receiptStat(rc smpp.Receipt) string {
	if retry.SMPPOutcome(rc.Stat) != retry.Unrecognised {
		return rc.Stat
	}
	if retry.SMPPOutcome(rc.TextStat) != retry.Unrecognised {
		return rc.TextStat
	}
	if n, err := strconv.Atoi(rc.Err); err == nil && n != 0 {
		return "UNDELIV"
	}
	return rc.Stat
}

// idVariants are the other spellings of a string id a receipt may use
// for the id its submit_sm_resp wrote: SMSCs change the case of
// alphanumeric ids and add or drop leading zeros between the two paths.
// They are looked up only when the id as written is not stored.
func idVariants(id string) []string {
	var out []string
	add := func(v string) {
		if v != "" && v != id && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	trimmed := strings.TrimLeft(id, "0")
	for _, v := range []string{id, trimmed} {
		add(v)
		add(strings.ToLower(v))
		add(strings.ToUpper(v))
	}
	return out
}

// accountKeys are the further keys a receipt arriving on domain's binds
// may name: the buckets of the other domains bound to the same SMSC
// account (server, port and system_id), each with the id read in that
// domain's formats. An SMSC sends a receipt on any bind of the account
// that takes deliver_sm, so a domain of transmitter binds has its receipts
// come in on another domain's receiver binds.
func (ch *Channel) accountKeys(domain string, rc smpp.Receipt) []mstore.Key {
	o := ch.options(ch.cfg())
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	own := ch.clients[domain]
	if own == nil {
		return nil
	}
	var keys []mstore.Key
	for d, c := range ch.clients {
		if d == domain || c.set.Addr != own.set.Addr || c.set.SystemID != own.set.SystemID {
			continue
		}
		sc, ok := o.by[d]
		if !ok {
			continue
		}
		if key, err := receiptKey(rc, sc); err == nil {
			keys = append(keys, mstore.Key{Bucket: retry.Bucket(retry.SMPP, sc.Source, true), ID: key})
		}
	}
	slices.SortFunc(keys, func(a, b mstore.Key) int { return strings.Compare(a.String(), b.String()) })
	return keys
}

// receiptKey is the stored key a receipt names. SMSCs commonly write
// receipted_message_id as their submit_sm_resp wrote the id and only the
// text's id: in the receipt format (smpp_delivery_receipt_message_id_format),
// so the TLV is read in the submit format and the text in the receipt
// format; a TLV that does not read so is tried in the receipt format (an
// SMSC writing both alike). When both are present they must name the same
// message: a hex id of digits only also reads as decimal, and a wrong
// guess would act on another message's copy.
func receiptKey(rc smpp.Receipt, sc Submit) (string, error) {
	var textKey string
	var textErr error
	if rc.TextID != "" {
		textKey, textErr = smpp.IDKey(rc.TextID, sc.ReceiptIDs, sc.SubmitIDs)
	}
	if rc.TLVID == "" {
		return textKey, textErr
	}
	asSubmit, subErr := smpp.IDKey(rc.TLVID, sc.SubmitIDs, sc.SubmitIDs)
	asReceipt, rcptErr := smpp.IDKey(rc.TLVID, sc.ReceiptIDs, sc.SubmitIDs)
	switch {
	case rc.TextID == "" || textErr != nil:
		if subErr == nil {
			return asSubmit, nil
		}
		return asReceipt, rcptErr
	case subErr == nil && asSubmit == textKey:
		return asSubmit, nil
	case rcptErr == nil && asReceipt == textKey:
		return asReceipt, nil
	}
	return "", fmt.Errorf("receipted_message_id %q and the text's id %q name different messages (%s / %s formats)",
		rc.TLVID, rc.TextID, sc.SubmitIDs, sc.ReceiptIDs)
}

// Text is the SMS text of m: its first text/plain part, else its first
// text part, line breaks as LF and surrounding white space trimmed.
func Text(m *message.Message) string {
	parts := m.TextParts()
	var pick *message.Part
	for _, p := range parts {
		if p.MediaType() == "text/plain" {
			pick = p
			break
		}
	}
	if pick == nil && len(parts) > 0 {
		pick = parts[0]
	}
	if pick == nil {
		return ""
	}
	t, _ := pick.Text()
	return strings.TrimSpace(strings.ReplaceAll(t, "\r\n", "\n"))
}

// localPart is what comes before an address's last @: the number.
func localPart(addr string) string {
	addr = strings.Trim(addr, "<> ")
	if i := strings.LastIndex(addr, "@"); i >= 0 {
		return addr[:i]
	}
	return addr
}

func permanent(domain, enh, format string, args ...any) error {
	e := status.Permanentf(status.SMPP, 0, enh, format, args...)
	e.Component = "smpp " + domain
	return e
}

func temporary(domain, enh string, err error, format string, args ...any) error {
	e := status.Temporaryf(status.SMPP, 0, enh, format, args...)
	e.Component, e.Err = "smpp "+domain, err
	return e
}
