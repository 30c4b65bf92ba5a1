package mmsc

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"msyshost/lib/config"
	"msyshost/lib/mm7"
	"msyshost/lib/typo"
)

// The simulator started with the daemon: an MMSC_Simulator scope, msyshost's
// own (Momentum has no simulators). Its options are the flags of `msyshost
// sim mmsc`, with underscores, as SMSC_Simulator's are those of `msyshost
// sim smsc`. Several may be configured, named (MMSC_Simulator "carrier-b"
// { ... }), each on its own address:
//
//	MMSC_Simulator {
//	  listen = "127.0.0.1:8090"
//	  delay = 2s
//	  mix = [ Retrieved = 8 Expired = 1 Rejected = 1 ]
//	  status = [ "1555000" = "Expired" ]
//	  schema = "REL-5-MM7-1-2"   # a Release 5 relay
//	  sender_echo = plus         # reports name the sender +4321
//	}
//
// Without report_url the reports go to the daemon's MM7 receiver.
const ScopeKind = "MMSC_Simulator"

// DefaultListen is where the simulator listens without a listen option,
// as `msyshost sim mmsc` does.
const DefaultListen = "127.0.0.1:8090"

var (
	optListen         = declare("listen", config.StringType, `"`+DefaultListen+`"`, "host:port the MMSC simulator listens on (loopback); an MM7 domain's routes name it (mm7://127.0.0.1/mm7?port=8090)")
	optPath           = declare("path", config.StringType, "/mm7", "request path the VASP posts SubmitReq to")
	optUser           = declare("user", config.StringType, "", "Basic auth user the VASP must present (none when unset)")
	optPassword       = declare("password", config.StringType, "", "Basic auth password the VASP must present")
	optVASPID         = declare("vaspid", config.StringType, "", "the only VASPID accepted (any when unset)")
	optMaxSize        = declare("max_size", config.IntType, "1048576", "largest SubmitReq accepted, in bytes")
	optReportURL      = declare("report_url", config.StringType, "", "where delivery reports are posted; default the daemon's MM7 receiver (mm7_serv)")
	optReportUser     = declare("report_user", config.StringType, "", "Basic auth user for posting reports")
	optReportPassword = declare("report_password", config.StringType, "", "Basic auth password for posting reports")
	optDelay          = declare("delay", config.DurationType, "1s", "time from the SubmitRsp to each delivery report")
	optMix            = declare("mix", config.DictType, "", "weights of final statuses: [ Retrieved = 8 Expired = 1 Rejected = 1 ] (default all Retrieved)")
	optProgress       = declare("progress", config.ListType, "", "intermediate statuses reported first, e.g. ( Forwarded )")
	optStatus         = declare("status", config.DictType, "", "final status by recipient prefix: [ \"1555000\" = \"Expired\" ] (longest prefix wins)")
	optReject         = declare("reject", config.DictType, "", "refuse recipients by prefix with a StatusCode: [ \"1555999\" = 3001 ]")
	optAttempts       = declare("attempts", config.IntType, "3", "posts of one report the VASP does not take before it is dropped")
	optSeed           = declare("seed", config.IntType, "0", "seed of the status draw (0: from the clock)")
	optSchema         = declare("schema", config.StringType, "REL-6-MM7-1-4", "schema release the relay implements: it answers and reports in it and refuses newer ones with 4002")
	optSenderEcho     = config.Declare(config.OptionSpec{Name: "sender_echo", Scopes: []string{ScopeKind}, Type: config.EnumType, Values: Echoes, Default: EchoAsIs,
		Help: "how reports echo the submission's sender: asis, plus (+4321), plmn (4321/TYPE=PLMN), swapped (Sender and Recipient exchanged), bare, rewrite (494321)"})
	optDuplicateEvery = declare("duplicate_every", config.IntType, "0", "post every Nth report twice (0: never)")
	optEarly          = declare("early", config.BoolType, "false", "post each recipient's first report at once, racing the SubmitRsp")
)

func declare(name string, t config.Type, def, help string) *config.OptionSpec {
	return config.Declare(config.OptionSpec{Name: name, Scopes: []string{ScopeKind}, Type: t, Default: def, Help: help})
}

func init() {
	config.DeclareScope(config.ScopeSpec{Kind: ScopeKind, Parents: []string{config.GlobalScope}, Name: config.NameOptional,
		Help: "an MMSC simulator started with the daemon (`msyshost sim mmsc` in-process): MMSC_Simulator { listen = \"127.0.0.1:8090\" }"})
}

// OptionsFrom reads a simulator's options from its MMSC_Simulator scope.
// Errors name the option and where it was set.
func OptionsFrom(n *config.Node) (Options, error) {
	var o Options
	str := func(spec *config.OptionSpec) string { v, _ := spec.In(n); return v.String() }
	o.Addr = str(optListen)
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		v, _ := optListen.In(n)
		return o, fmt.Errorf("%s: listen %q is not host:port", v.Pos(), o.Addr)
	}
	o.Path, o.User, o.Password, o.VASPID = str(optPath), str(optUser), str(optPassword), str(optVASPID)
	o.ReportURL, o.ReportUser, o.ReportPassword = str(optReportURL), str(optReportUser), str(optReportPassword)
	if !strings.HasPrefix(o.Path, "/") {
		v, _ := optPath.In(n)
		return o, fmt.Errorf("%s: path %q must start with /", v.Pos(), o.Path)
	}
	var err error
	integer := func(spec *config.OptionSpec) int {
		v, _ := spec.In(n)
		i, e := v.Int()
		if e != nil && err == nil {
			err = e
		}
		return i
	}
	o.MaxSize, o.ReportAttempts, o.Seed = int64(integer(optMaxSize)), integer(optAttempts), uint64(integer(optSeed))
	o.DuplicateEvery = integer(optDuplicateEvery)
	if err != nil {
		return o, err
	}
	o.Schema, o.SenderEcho = str(optSchema), str(optSenderEcho)
	if _, ok := mm7.CanonicalNamespace(o.Schema); !ok {
		v, _ := optSchema.In(n)
		return o, fmt.Errorf("%s: schema %q is not an MM7 schema release (REL-5-MM7-1-0 ... REL-6-MM7-1-4)", v.Pos(), o.Schema)
	}
	if v, ok := optEarly.In(n); ok {
		if o.Early, err = v.Bool(); err != nil {
			return o, err
		}
	}
	v, _ := optDelay.In(n)
	if o.ReportDelay, err = v.Duration(); err != nil {
		return o, err
	}
	if o.ReportDelay == 0 {
		return o, fmt.Errorf("%s: delay must be more than 0", v.Pos())
	}
	if v, ok := optMix.In(n); ok {
		o.Mix = map[string]int{}
		for _, p := range v.Pairs() {
			w, e := strconv.Atoi(p.Value)
			if e != nil || w < 0 {
				return o, fmt.Errorf("%s: mix: weight of %s must be a whole number, found %q", v.Pos(), p.Key, p.Value)
			}
			st, e := status(v, "mix", p.Key)
			if e != nil {
				return o, e
			}
			o.Mix[st] = w
		}
	}
	if v, ok := optProgress.In(n); ok {
		for _, name := range v.List() {
			st, e := status(v, "progress", name)
			if e != nil {
				return o, e
			}
			o.Progress = append(o.Progress, st)
		}
	}
	if v, ok := optStatus.In(n); ok {
		o.Statuses = map[string]string{}
		for _, p := range v.Pairs() {
			st, e := status(v, "status", p.Value)
			if e != nil {
				return o, e
			}
			o.Statuses[p.Key] = st
		}
	}
	if v, ok := optReject.In(n); ok {
		o.Reject = map[string]int{}
		for _, p := range v.Pairs() {
			code, e := strconv.Atoi(p.Value)
			if e != nil || code < 2000 || code > 9999 {
				return o, fmt.Errorf("%s: reject: %s = %q is not a StatusCode (2000-9999)", v.Pos(), p.Key, p.Value)
			}
			o.Reject[p.Key] = code
		}
	}
	return o, nil
}

// status reads an MMStatus as TS 23.140 spells it; a word that is none is
// an error with the nearest one, since the receiver would take it for an
// intermediate status and the flow would silently stop.
func status(v config.Value, what, name string) (string, error) {
	st := canonicalStatus(name)
	if _, ok := statusTexts[st]; ok {
		return st, nil
	}
	known := make([]string, 0, len(statusTexts))
	for k := range statusTexts {
		known = append(known, k)
	}
	sort.Strings(known)
	msg := fmt.Sprintf("%s: %s: %q is not an MMStatus (%s)", v.Pos(), what, name, strings.Join(known, ", "))
	if near := typo.Near(name, known); len(near) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", near[0])
	}
	return "", errors.New(msg)
}
