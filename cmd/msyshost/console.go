package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/chzyer/readline"
	"github.com/spf13/cobra"

	"msyshost/lib/console"
)

func consoleCmd() *cobra.Command {
	var (
		socket  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "console [COMMAND...]",
		Short: "Talk to a running daemon over its control socket",
		Long: `Send console commands to a running msyshost, as Momentum's ec_console does.
With a command on the command line (its words as arguments, or the whole line as
one quoted argument), or when stdin is not a terminal (one command
per line), it runs in batch mode: prints each answer, errors to stderr, and exits 1
if any command failed. Otherwise it is interactive, with a prompt and line editing;
"quit" leaves. "help" lists the commands.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := console.Dial(socket, 5*time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			c.Timeout = timeout
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if len(args) > 0 {
				return batch(c, strings.NewReader(commandLine(args)+"\n"), out, errw)
			}
			if f, ok := cmd.InOrStdin().(*os.File); ok && readline.IsTerminal(int(f.Fd())) {
				return interactive(c, socket, out, errw)
			}
			return batch(c, cmd.InOrStdin(), out, errw)
		},
	}
	cmd.Flags().StringVarP(&socket, "socket", "s", "data/control.sock", "the daemon's control `SOCKET`")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "give up on a command the daemon has not answered in this `DURATION` (0: wait)")
	// Flags after the first word are the console command's own
	// (`msyshost console mailq -d example.org`), not ours.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// commandLine is the command the arguments give: one argument is the whole
// line, as written (`msyshost console 'mstore display B "a b"'`); several
// are words, and those the shell had to quote are quoted again
// (`msyshost console mstore display B "a b"`).
func commandLine(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	parts := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'\\") {
			a = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a) + `"`
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

func batch(c *console.Client, in io.Reader, out, errw io.Writer) error {
	failed := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), console.MaxLine+2)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		res, err := c.Exec(line)
		var re *console.RemoteError
		switch {
		case errors.As(err, &re):
			fmt.Fprintln(errw, re.Text)
			failed = true
		case err != nil:
			return err
		default:
			io.WriteString(out, res)
		}
		if strings.EqualFold(line, "quit") || strings.EqualFold(line, "exit") {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading commands: %w", err)
	}
	if failed {
		return exitCode(1)
	}
	return nil
}

func interactive(c *console.Client, socket string, out, errw io.Writer) error {
	rl, err := readline.NewEx(&readline.Config{Prompt: prompt(socket), Stdout: out, Stderr: errw})
	if err != nil {
		return err
	}
	defer rl.Close()
	fmt.Fprintf(out, "msyshost console on %s; \"help\" lists the commands, \"quit\" leaves\n", socket)
	for {
		rl.SetPrompt(prompt(socket))
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			continue
		}
		if err != nil { // io.EOF: ^D
			return nil
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		res, err := c.Exec(line)
		var re *console.RemoteError
		switch {
		case errors.As(err, &re):
			fmt.Fprintln(errw, re.Text)
		case err != nil:
			return err
		default:
			io.WriteString(out, res)
		}
		if strings.EqualFold(line, "quit") || strings.EqualFold(line, "exit") {
			return nil
		}
	}
}

// prompt is ec_console's: the time and the endpoint.
func prompt(socket string) string { return time.Now().Format("15:04:05") + " " + socket + "> " }
