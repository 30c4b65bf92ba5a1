package smsc

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/process"
	"msyshost/lib/smpp"
)

// ScopeKind is the config scope of a simulator the daemon starts:
//
//	SMSC_Simulator { listen = "127.0.0.1:2775"  outcome_for = [ "1666" = "UNDELIV" ] }
//
// Its options are `msyshost sim smsc`'s flags, with underscores. Several
// may be configured, named (SMSC_Simulator "carrier-b" { ... }), each on
// its own address.
const ScopeKind = "SMSC_Simulator"

// DefaultListen is where a simulator listens without a listen option: the
// port SMSCs conventionally use, on loopback.
const DefaultListen = "127.0.0.1:2775"

var scopes = []string{"smsc_simulator"}

var (
	optListen = config.Declare(config.OptionSpec{Name: "listen", Scopes: scopes, Type: config.StringType, Default: `"` + DefaultListen + `"`,
		Help: "host:port the SMSC simulator listens on (loopback); an SMPP domain binds to it with smpp_smsc_server and smpp_smsc_port"})
	optSystemID = config.Declare(config.OptionSpec{Name: "system_id", Scopes: scopes, Type: config.StringType, Default: "msyshost-smsc",
		Help: "system_id the simulator names itself with in bind responses"})
	optAccounts = config.Declare(config.OptionSpec{Name: "accounts", Scopes: scopes, Type: config.DictType,
		Help: "[ system_id = \"password\" ... ]: the binds accepted (ESME_RINVSYSID / ESME_RINVPASWD otherwise); default any"})
	optIDFormat = config.Declare(config.OptionSpec{Name: "id_format", Scopes: scopes, Type: config.EnumType,
		Values: []string{"string", "decimal", "hexadecimal"}, Default: "string",
		Help: "message ids in submit_sm_resp: string, decimal (10 digits, zero-padded) or hexadecimal (8 upper-case digits)"})
	optReceiptIDFormat = config.Declare(config.OptionSpec{Name: "receipt_id_format", Scopes: scopes, Type: config.EnumType,
		Values: []string{"string", "decimal", "hexadecimal"},
		Help:   "message ids in receipts (default: as id_format)"})
	optDelay = config.Declare(config.OptionSpec{Name: "delay", Scopes: scopes, Type: config.DurationType, Default: "1",
		Help: "time from a submit to its receipt (e.g. 1, 200ms)"})
	optOutcomes = config.Declare(config.OptionSpec{Name: "outcomes", Scopes: scopes, Type: config.DictType,
		Help: "[ DELIVRD = 8 UNDELIV = 1 EXPIRED = 1 ... ]: final states taken in turn by weight; default all DELIVRD"})
	optOutcomeFor = config.Declare(config.OptionSpec{Name: "outcome_for", Scopes: scopes, Type: config.DictType,
		Help: "[ \"1666\" = \"UNDELIV\" ... ]: the final state of destinations starting with a prefix (longest wins), before the mix"})
	optIntermediate = config.Declare(config.OptionSpec{Name: "intermediate", Scopes: scopes, Type: config.EnumType,
		Values: []string{"requested", "always", "never"}, Default: "requested",
		Help: "ENROUTE receipts: when registered_delivery asks (0x10), always or never"})
	optReceipt = config.Declare(config.OptionSpec{Name: "receipt", Scopes: scopes, Type: config.EnumType,
		Values: []string{"both", "tlv", "text"}, Default: "both",
		Help: "receipt shape: TLVs and the appendix B text, TLVs only, or text only"})
	optTrailingNUL = config.Declare(config.OptionSpec{Name: "trailing_nul", Scopes: scopes, Type: config.BoolType, Default: "false",
		Help: "pad receipted_message_id and the receipt text with NULs, as some SMSCs do"})
	optDuplicateEvery = config.Declare(config.OptionSpec{Name: "duplicate_every", Scopes: scopes, Type: config.IntType, Default: "0",
		Help: "send every Nth receipt twice (0: never)"})
	optEarly = config.Declare(config.OptionSpec{Name: "early", Scopes: scopes, Type: config.BoolType, Default: "false",
		Help: "send the receipt before the submit_sm_resp"})
	optMaxRate = config.Declare(config.OptionSpec{Name: "max_rate", Scopes: scopes, Type: config.IntType, Default: "0",
		Help: "submits per second per account (system_id) before ESME_RTHROTTLED (0: unlimited)"})
	optDataSM = config.Declare(config.OptionSpec{Name: "data_sm", Scopes: scopes, Type: config.BoolType, Default: "false",
		Help: "send receipts as data_sm (text in message_payload) instead of deliver_sm"})
	optRedeliver = config.Declare(config.OptionSpec{Name: "redeliver", Scopes: scopes, Type: config.DurationType, Default: "2",
		Help: "time before a receipt unanswered or refused with a temporary error is sent again"})
	optRespondDelay = config.Declare(config.OptionSpec{Name: "respond_delay", Scopes: scopes, Type: config.DurationType, Default: "0",
		Help: "hold each submit_sm_resp this long after accepting the submit, as a loaded SMSC answers late"})
	optEnquireLink = config.Declare(config.OptionSpec{Name: "enquire_link", Scopes: scopes, Type: config.DurationType, Default: "0",
		Help: "send enquire_link to every bound ESME at this interval, closing a session that does not answer (0: never)"})
	optTLVSubmitID = config.Declare(config.OptionSpec{Name: "tlv_submit_id", Scopes: scopes, Type: config.BoolType, Default: "false",
		Help: "write receipted_message_id as submit_sm_resp wrote the id, only the text's id: in receipt_id_format"})
	optReceiptUCS2 = config.Declare(config.OptionSpec{Name: "receipt_ucs2", Scopes: scopes, Type: config.BoolType, Default: "false",
		Help: "write the receipt text in UCS-2 (data_coding 8)"})
	optPlainReceipts = config.Declare(config.OptionSpec{Name: "plain_receipts", Scopes: scopes, Type: config.BoolType, Default: "false",
		Help: "send receipts with esm_class 0, the text alone saying what they are"})
	optRespTLVs = config.Declare(config.OptionSpec{Name: "resp_tlvs", Scopes: scopes, Type: config.BoolType, Default: "false",
		Help: "append additional_status_info_text to submit_sm_resp, as SMPP v5.0 SMSCs do"})
)

func init() {
	config.DeclareScope(config.ScopeSpec{Kind: ScopeKind, Parents: []string{config.GlobalScope}, Name: config.NameOptional,
		Help: "an SMSC simulator started with the daemon (`msyshost sim smsc` in-process): SMSC_Simulator { listen = \"127.0.0.1:2775\" }"})

	process.RegisterCheck("smsc simulator", func(cfg *config.Config, _ *process.Process) error {
		_, err := simulators(cfg)
		return err
	})
	// The simulators listen before the channels binding to them start. A
	// scenario starts them only when it asks for the smsc peer, on a free
	// loopback port that the SMPP channel is pointed at instead of the
	// configured one; given an SMSC outside the process instead, it
	// starts none and points the channel there.
	process.Register("smsc simulator", process.StagePeer, func(p *process.Process) ([]process.Component, error) {
		ext, wanted := p.Peer("smsc")
		if !wanted {
			return nil, nil
		}
		nodes := p.Config().Root().Scopes(ScopeKind)
		if p.Mode() == process.Scenario && len(nodes) == 0 {
			return nil, fmt.Errorf("peers: smsc: the config has no %s scope for the scenario's SMPP domains to bind to", ScopeKind)
		}
		opts, err := simulators(p.Config())
		if err != nil {
			return nil, err
		}
		var out []process.Component
		for _, opt := range opts {
			if p.Mode() != process.Scenario {
				out = append(out, New(opt, p.Logger().With("smsc", opt.Addr)))
				continue
			}
			if ext != "" {
				p.SetPeerAddr(opt.Addr, ext)
				continue
			}
			configured := opt.Addr
			opt.Addr = "127.0.0.1:0"
			out = append(out, &scenarioSim{Server: New(opt, p.Logger().With("smsc", configured)), p: p, configured: configured})
		}
		return out, nil
	})
}

// simulators reads every SMSC_Simulator scope of cfg: each one's options,
// or every problem, with where it was set.
func simulators(cfg *config.Config) ([]Options, error) {
	var out []Options
	var errs config.Problems
	seen := map[string]config.Pos{}
	for _, n := range cfg.Root().Scopes(ScopeKind) {
		opt, err := FromConfig(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if at, dup := seen[opt.Addr]; dup {
			errs = append(errs, &config.Error{Pos: n.Pos, Msg: fmt.Sprintf("%s listens on %s, as the one at %s does", ScopeKind, opt.Addr, at)})
			continue
		}
		seen[opt.Addr] = n.Pos
		out = append(out, opt)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// scenarioSim is a scenario's simulator: it listens on a free port and
// points connections meant for its configured address there.
type scenarioSim struct {
	*Server
	p          *process.Process
	configured string
}

func (s *scenarioSim) Start(ctx context.Context) error {
	if err := s.Server.Start(ctx); err != nil {
		return err
	}
	s.p.SetPeerAddr(s.configured, s.Addr())
	return nil
}

// FromConfig reads one SMSC_Simulator scope. Errors name the option and
// where it was set.
func FromConfig(n *config.Node) (Options, error) {
	var o Options
	v, _ := optListen.In(n)
	o.Addr = v.String()
	if _, port, err := splitHostPort(o.Addr); err != nil {
		return o, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("listen: %v", err)}
	} else if port == 0 {
		return o, &config.Error{Pos: v.Pos(), Msg: "listen: give a port: the SMPP domains bind to it"}
	}
	v, _ = optSystemID.In(n)
	o.SystemID = v.String()
	if v, ok := optAccounts.In(n); ok {
		o.Accounts = v.Dict()
	}
	var err error
	v, _ = optIDFormat.In(n)
	if o.IDFormat, err = smpp.ParseIDFormat(v.String()); err != nil {
		return o, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("id_format: %v", err)}
	}
	if v, ok := optReceiptIDFormat.In(n); ok {
		f, err := smpp.ParseIDFormat(v.String())
		if err != nil {
			return o, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("receipt_id_format: %v", err)}
		}
		o.ReceiptIDFormat = &f
	}
	if o.ReceiptDelay, err = duration(n, optDelay); err != nil {
		return o, err
	}
	if o.Redeliver, err = duration(n, optRedeliver); err != nil {
		return o, err
	}
	if v, ok := optOutcomes.In(n); ok {
		for _, pr := range v.Pairs() {
			w, err := strconv.Atoi(pr.Value)
			if err == nil && w < 0 {
				err = fmt.Errorf("negative")
			}
			if err != nil {
				return o, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("outcomes: %s = %q: the weight is not a whole number", pr.Key, pr.Value)}
			}
			if err := CheckFinal(pr.Key); err != nil {
				return o, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("outcomes: %v", err)}
			}
			o.Outcomes = append(o.Outcomes, Weighted{Stat: strings.ToUpper(pr.Key), Weight: w})
		}
	}
	if v, ok := optOutcomeFor.In(n); ok {
		o.OutcomeFor = map[string]string{}
		for _, pr := range v.Pairs() {
			if err := CheckFinal(pr.Value); err != nil {
				return o, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("outcome_for: %s: %v", pr.Key, err)}
			}
			o.OutcomeFor[pr.Key] = strings.ToUpper(pr.Value)
		}
	}
	v, _ = optIntermediate.In(n)
	if o.Intermediate, err = ParseIntermediate(v.String()); err != nil {
		return o, &config.Error{Pos: v.Pos(), Msg: err.Error()}
	}
	v, _ = optReceipt.In(n)
	if o.Style, err = ParseStyle(v.String()); err != nil {
		return o, &config.Error{Pos: v.Pos(), Msg: err.Error()}
	}
	if o.TrailingNUL, err = boolean(n, optTrailingNUL); err != nil {
		return o, err
	}
	if o.Early, err = boolean(n, optEarly); err != nil {
		return o, err
	}
	if o.DataSM, err = boolean(n, optDataSM); err != nil {
		return o, err
	}
	if o.DuplicateEvery, err = whole(n, optDuplicateEvery); err != nil {
		return o, err
	}
	if o.MaxRate, err = whole(n, optMaxRate); err != nil {
		return o, err
	}
	if o.RespondDelay, err = duration(n, optRespondDelay); err != nil {
		return o, err
	}
	if o.EnquireLink, err = duration(n, optEnquireLink); err != nil {
		return o, err
	}
	for _, b := range []struct {
		opt *config.OptionSpec
		to  *bool
	}{{optTLVSubmitID, &o.TLVSubmitID}, {optReceiptUCS2, &o.ReceiptUCS2}, {optPlainReceipts, &o.PlainReceipts}, {optRespTLVs, &o.RespTLVs}} {
		if *b.to, err = boolean(n, b.opt); err != nil {
			return o, err
		}
	}
	return o, nil
}

func duration(n *config.Node, o *config.OptionSpec) (time.Duration, error) {
	v, _ := o.In(n)
	return v.Duration()
}

func boolean(n *config.Node, o *config.OptionSpec) (bool, error) {
	v, _ := o.In(n)
	return v.Bool()
}

func whole(n *config.Node, o *config.OptionSpec) (int, error) {
	v, _ := o.In(n)
	i, err := v.Int()
	if err == nil && i < 0 {
		return 0, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: %d is negative", o.Name, i)}
	}
	return i, err
}

func splitHostPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, fmt.Errorf("%q: the port is not a number from 0 to 65535", addr)
	}
	return host, n, nil
}
