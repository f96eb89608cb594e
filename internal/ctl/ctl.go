// Package ctl is portfolioctl, the command-line client of the portfolio's
// HTTP API (docs: /work/shared/CONTRACT.md). It is a pure HTTP client: it
// depends on no server package, only on the contract's JSON.
//
// Exit codes: 0 success; 1 the server refused or failed (problem+json,
// unreachable server, audit verify not ok); 2 a usage error found before
// anything was sent (unknown command or flag, missing required flag,
// malformed flag value).
package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Environment variables read when the matching flag is not given.
const (
	EnvServer = "PORTFOLIO_SERVER"
	EnvToken  = "PORTFOLIO_TOKEN"
)

// DefaultServer is the server URL used when neither --server nor
// PORTFOLIO_SERVER is given.
const DefaultServer = "http://127.0.0.1:8080"

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // the server refused, failed or could not be reached
	ExitUsage   = 2 // the command line is wrong; nothing was sent
)

// Output formats.
const (
	outTable = "table"
	outJSON  = "json"
	outCSV   = "csv"
)

func init() {
	// List subcommands in the order they are added (the order of the
	// work), not alphabetically.
	cobra.EnableCommandSorting = false
}

// app is one run of portfolioctl: its streams and global options.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	server  string
	token   string
	output  string
	timeout time.Duration
}

// Main runs portfolioctl with the arguments (without the program name) and
// returns the process exit code. The environment is read with os.Getenv.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	return a.run(ctx, args)
}

func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	return a.report(cmd, err)
}

// report prints err on stderr and returns the exit code for it.
func (a *app) report(cmd *cobra.Command, err error) int {
	var (
		p  *Problem
		f  *failure
		ue *usageError
	)
	switch {
	case errors.As(err, &p):
		fmt.Fprintln(a.stderr, "error: "+p.Error())
		for _, fe := range p.Errors {
			fmt.Fprintf(a.stderr, "  %s: %s\n", fe.Field, fe.Detail)
		}
		return ExitFailure
	case errors.As(err, &f):
		if f.msg != "" {
			fmt.Fprintln(a.stderr, "error: "+f.msg)
		}
		return ExitFailure
	case errors.As(err, &ue):
		fmt.Fprintln(a.stderr, "error: "+ue.msg)
	default:
		// cobra's own errors: unknown command or flag, wrong arguments,
		// missing required flags.
		fmt.Fprintln(a.stderr, "error: "+err.Error())
	}
	if cmd != nil {
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return ExitUsage
}

// usageError is a mistake on the command line found before anything was
// sent (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// failure is a run-time failure other than a problem+json answer (exit
// code 1). An empty msg means it has been reported already.
type failure struct{ msg string }

func (e *failure) Error() string { return e.msg }

func failf(format string, args ...any) error {
	return &failure{msg: fmt.Sprintf(format, args...)}
}

// runE wraps a command's body so that every error it returns that is not a
// usage error counts as a run-time failure (exit 1); errors cobra finds
// itself while parsing count as usage errors (exit 2).
func runE(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := fn(cmd, args)
		if err == nil {
			return nil
		}
		var (
			ue *usageError
			p  *Problem
			f  *failure
		)
		if errors.As(err, &ue) || errors.As(err, &p) || errors.As(err, &f) {
			return err
		}
		return &failure{msg: err.Error()}
	}
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "portfolioctl",
		Short: "Command-line client of the national e-health portfolio",
		Long: `portfolioctl talks to portfoliod's HTTP API: it records strategy, initiative
and council commands, and shows the roadmap, the portfolio, the council's
meetings and decisions, and the audit log.

The server is --server, else $` + EnvServer + `, else ` + DefaultServer + `.
The token is --token, else $` + EnvToken + ` (none: anonymous, read-only).

Exit codes: 0 ok, 1 the server refused or could not be reached,
2 a usage error (nothing was sent).`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.server, "server", "", "server URL (env "+EnvServer+", default "+DefaultServer+")")
	pf.StringVar(&a.token, "token", "", "bearer token (env "+EnvToken+"); never printed")
	pf.StringVarP(&a.output, "output", "o", outTable, "output format: table or json (decisions also csv)")
	pf.DurationVar(&a.timeout, "timeout", 30*time.Second, "timeout of each HTTP request (0: none)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{outTable, outJSON, outCSV}, cobra.ShellCompDirectiveNoFileComp))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{msg: err.Error()}
	})

	root.AddGroup(
		&cobra.Group{ID: "portfolio", Title: "Strategy and initiatives:"},
		&cobra.Group{ID: "plan", Title: "Realisation plan and reporting:"},
		&cobra.Group{ID: "council", Title: "Council:"},
		&cobra.Group{ID: "audit", Title: "Audit:"},
		&cobra.Group{ID: "admin", Title: "Administration:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("portfolio", a.strategyCmd(), a.initiativeCmd(), a.initiativesCmd(), a.roadmapCmd())
	add("plan", a.planCmds()...)
	add("council", a.councilCmd())
	add("council", a.consultationsCmd())
	add("audit", a.auditCmd())
	add("admin", a.rebuildCmd(), a.backupCmd())
	root.AddCommand(a.genericCmd())
	return root
}

// groupCmd returns a command that only holds subcommands: without a
// subcommand it prints its help; with an unknown one it is a usage error.
func groupCmd(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
}

// checkOutput checks --output against the formats a command supports.
func (a *app) checkOutput(allowed ...string) error {
	for _, f := range allowed {
		if a.output == f {
			return nil
		}
	}
	return usagef("--output %q is not supported here; use %s", a.output, strings.Join(allowed, " or "))
}
