package reception

import (
	"context"
	"strconv"
	"strings"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/hook"
	"msyshost/lib/msys/core"
	"msyshost/lib/process"
	"msyshost/lib/smtpserver"
)

// SMTP in asks this policy at every phase, in the daemon and in scenarios.
func init() {
	smtpserver.SetPolicy(func(p *process.Process) (smtpserver.Policy, error) {
		// A reload lets the sessions open finish with the scripts they
		// started with, as long as a client may stay idle.
		listens, err := smtpserver.ListensOf(p.Config())
		if err != nil {
			return nil, err
		}
		var idle time.Duration
		for _, l := range listens {
			idle = max(idle, l.IdleTime)
		}
		p.Host.SetSessionDrain(idle)
		return &Policy{
			Host:     p.Host,
			Log:      p.Logger(),
			Hostname: config.Hostname(p.Config(), ""),
			Observe:  p.Observe,
			Auditor:  p.Auditor,
		}, nil
	})
}

// VALIDATE_AGAIN: a module may ask to be called again this many times in
// a row in one phase; the first pause doubles at each call up to maxPause.
const (
	againLimit = 10
	againPause = 5 * time.Millisecond
	maxPause   = 100 * time.Millisecond
)

// run dispatches one phase's hook and turns the outcome into the command's
// answer: nil accepts, an error refuses (smtpserver's Policy contract).
// v is the vctx the script sees; its reply and disconnect apply when the
// phase ends, whichever module set them and whether or not it returned
// VALIDATE_DONE.
func (p *Policy) run(ctx context.Context, c *smtpserver.Conn, st *conn, name string, v *core.Vctx, args ...any) error {
	if st.ended {
		p.Log.Warn("reception: a command after the session ended; refused", "hook", name, "conn", c.ID)
		return p.failure(c)
	}
	v.ReplyCode, v.ReplyText, v.Disconnect = 0, "", false
	pos, again := 0, 0
	for {
		res := st.lua.Call(ctx, name, pos, args...)
		p.observe(name, args, res.Result)
		if res.Err != nil {
			p.Log.Error("reception: no policy could be asked; answered 421 4.3.0 and closed the connection", "hook", name, "conn", c.ID, "remote", c.Remote.String(), "error", res.Err)
			return p.failure(c)
		}
		if f := res.Failed; f != nil {
			p.Log.Error("reception: hook failed; answered 421 4.3.0 and closed the connection",
				"hook", name, "module", f.Module, "script", f.Script, "error", f.Err, "conn", c.ID, "remote", c.Remote.String())
			return p.failure(c)
		}
		if res.Code == hook.ValidateAgain && name != HookSetBinding {
			// The count is the module's: one that decides after asking
			// again lets the next one ask as often.
			if res.Pos != pos {
				again = 0
			}
			pos = res.Pos
			again++
			if again > againLimit {
				call := res.Calls[len(res.Calls)-1]
				p.Log.Error("reception: hook kept returning VALIDATE_AGAIN; answered with a temporary failure",
					"hook", name, "module", call.Module, "script", call.Script, "calls", again, "conn", c.ID, "remote", c.Remote.String())
				return undecided(c, name, call.Module, again)
			}
			if wait(ctx, min(againPause<<(again-1), maxPause)) != nil {
				return p.failure(c)
			}
			continue
		}
		if res.Code != hook.ValidateCont && res.Code != hook.ValidateDone {
			call := res.Calls[len(res.Calls)-1]
			p.Log.Error("reception: hook returned no VALIDATE_* code; answered 421 4.3.0 and closed the connection",
				"hook", name, "module", call.Module, "script", call.Script, "returned", describe(call), "conn", c.ID, "remote", c.Remote.String())
			return p.failure(c)
		}
		break
	}
	relay(c)
	p.hold(ctx, c, st, name, v)
	if v.Recipients != nil && (name == HookConnect || name == HookEhlo || name == HookMailFrom) {
		// Before the first RCPT there is no transaction to add to.
		p.Log.Warn("reception: recipients added before the first RCPT are not kept", "hook", name, "recipients", v.Recipients, "conn", c.ID)
		v.Recipients = nil
	}
	if v.ReplyCode == 0 {
		return nil
	}
	err := reply(v.ReplyCode, v.ReplyText)
	if v.Disconnect {
		c.Disconnect = true
		if err == nil {
			// A completion code cannot refuse; the connection still closes.
			p.Log.Warn("reception: vctx:disconnect with a completion code; answered 421", "hook", name, "code", v.ReplyCode, "conn", c.ID)
			return reply(421, "4.7.0 "+v.ReplyText)
		}
	}
	if err != nil {
		p.Log.Info("reception: refused by policy", "hook", name, "reply", strconv.Itoa(v.ReplyCode)+" "+strings.ReplaceAll(v.ReplyText, "\n", " / "),
			"disconnect", v.Disconnect, "conn", c.ID, "remote", c.Remote.String())
	}
	return err
}

// wait pauses for d, or until ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
