package reception

import (
	"context"
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
		return &Policy{
			Host:     p.Host,
			Log:      p.Logger(),
			Hostname: config.Hostname(p.Config(), ""),
			Observe:  p.Observe,
			Auditor:  p.Auditor,
		}, nil
	})
}

// run dispatches one phase's hook and turns the outcome into the command's
// answer: nil accepts, an error refuses (smtpserver's Policy contract).
// v is the vctx the script sees; its reply and disconnect apply when the
// phase ends, whichever module set them and whether or not it returned
// VALIDATE_DONE.
func (p *Policy) run(ctx context.Context, c *smtpserver.Conn, st *conn, name string, v *core.Vctx, args ...any) error {
	v.Code, v.Disconnect = "", false
	limit, pause := p.againLimit()
	pos, again := 0, 0
	for {
		res := st.lua.Call(ctx, name, pos, args...)
		p.observe(name, args, res.Result)
		if res.Err != nil {
			p.Log.Error("reception: no Lua state for the hook; answered 421 4.3.0", "hook", name, "conn", c.ID, "remote", c.Remote.String(), "error", res.Err)
			return p.failure(c)
		}
		if f := res.Failed; f != nil {
			p.Log.Error("reception: hook failed; answered 421 4.3.0 and closed the connection",
				"hook", name, "module", f.Module, "script", f.Script, "error", f.Err, "conn", c.ID, "remote", c.Remote.String())
			return p.failure(c)
		}
		if res.Code == hook.ValidateAgain && name != HookSetBinding {
			again++
			if again > limit {
				call := res.Calls[len(res.Calls)-1]
				p.Log.Error("reception: hook kept returning VALIDATE_AGAIN; answered with a temporary failure",
					"hook", name, "module", call.Module, "script", call.Script, "calls", again, "conn", c.ID, "remote", c.Remote.String())
				return undecided(name, limit)
			}
			if err := sleep(ctx, min(pause<<(again-1), maxPause)); err != nil {
				return p.failure(c)
			}
			pos = res.Pos
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
	p.hold(ctx, st, v)
	if v.Recipients != nil && (name == HookConnect || name == HookEhlo || name == HookMailFrom) {
		// Before the first RCPT there is no transaction to add to.
		p.Log.Warn("reception: recipients added before the first RCPT are not kept", "hook", name, "recipients", v.Recipients, "conn", c.ID)
		v.Recipients = nil
	}
	if v.Code == "" {
		return nil
	}
	err := reply(v.Code, false)
	if v.Disconnect {
		c.Disconnect = true
		if err == nil {
			// A completion code cannot refuse; the connection still closes.
			n, _, text := parseReply(v.Code)
			p.Log.Warn("reception: vctx:disconnect with a completion code; answered 421", "hook", name, "code", n, "conn", c.ID)
			return reply("421 4.7.0 "+text, true)
		}
	}
	if err != nil {
		p.Log.Info("reception: refused by policy", "hook", name, "reply", v.Code, "disconnect", v.Disconnect, "conn", c.ID, "remote", c.Remote.String())
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
