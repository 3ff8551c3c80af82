package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/install"
	"github.com/highroad/highroad/state"
)

// logLevel defines the -log-level flag.
func logLevel(fs *flag.FlagSet, def slog.Level) *slog.Level {
	level := new(slog.Level)
	fs.TextVar(level, "log-level", def, "log `LEVEL`: debug, info, warn or error")
	return level
}

var runCommand = &command{
	name: "run", noArgs: true,
	summary: "watch your mailboxes (what the service runs)",
	help: `Watches every configured account until Ctrl-C or SIGTERM, logging one line per
decision to standard error. Exit status 78 means retrying cannot help (a broken
configuration, a refused login, a missing mailbox); the service is not restarted
then.`,
	flags: func(fs *flag.FlagSet) func(*env) error {
		level := logLevel(fs, slog.LevelInfo)
		return func(e *env) error { return runDaemon(e, *level) }
	},
}

// runDaemon is the daemon as the service manager runs it: install.Run
// answers the manager (a Windows service must), stops the daemon on
// SIGTERM, Ctrl-C or the manager's stop, and logs how it ended.
func runDaemon(e *env, level slog.Level) error {
	if install.Interactive() {
		// A person at a terminal reads a broken configuration better as a
		// plain message than as a log line; a service logs it below.
		a, err := loadAccounts(e.config)
		if err != nil {
			return err
		}
		if r := state.Running(a.cfg.StatePath()); r != nil {
			return fmt.Errorf("%w (pid %d, %s); stop it first, or look at it with highroad status", state.ErrClaimed, r.PID, r.How)
		}
	}
	err := install.Run(func(ctx context.Context, log *slog.Logger) error {
		return watchAccounts(ctx, e.config, log)
	}, install.RunOptions{Stderr: e.stderr, Level: level})
	if err == nil {
		return nil
	}
	// install.Run has logged the error; only the status is left to give.
	if errors.Is(err, install.ErrStopTimeout) {
		return exitError{exitFailed}
	}
	return exitError{exitStatus(err)}
}

// watchAccounts loads the configuration, claims the state and runs the daemon
// until ctx ends.
func watchAccounts(ctx context.Context, cfgPath string, log *slog.Logger) error {
	a, err := loadAccounts(cfgPath)
	if err != nil {
		return err
	}
	how := "foreground"
	if !install.Interactive() {
		how = "service"
	}
	// One daemon per state file, for its whole life: a second one would
	// race the first to the same drafts.
	claim, err := state.Acquire(a.cfg.StatePath(), state.Runner{PID: os.Getpid(), Started: time.Now(), How: how})
	if err != nil {
		return err
	}
	defer claim.Release()
	st, err := a.openState()
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := a.daemon(daemon.Options{Store: st, Log: log})
	if err != nil {
		return err
	}
	log.Info("highroad started", "accounts", len(a.cfg.Accounts), "state", a.cfg.StatePath())
	if err := d.Run(ctx); err != nil {
		return configError{err} // only permanent failures end Run
	}
	return nil
}

var checkCommand = &command{
	name: "check", noArgs: true,
	summary: "check the configuration and connect to every account",
	help: `Validates the configuration, then logs in to every account and reports the
mailboxes the server lists (with their special-use attributes), the Drafts
mailbox it chose and why, whether the server offers IDLE and SPECIAL-USE, and
whether each watched mailbox accepts the keyword. It changes nothing.`,
	flags: func(fs *flag.FlagSet) func(*env) error {
		return func(e *env) error { return check(e) }
	},
}

func check(e *env) error {
	a, err := loadAccounts(e.config)
	if err != nil {
		return err
	}
	d, err := a.daemon(daemon.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "config %s: valid\n", orDefault(a.cfg.Path))
	var failed error
	results := map[string]error{}
	for i := range a.cfg.Accounts {
		acc := &a.cfg.Accounts[i]
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Minute)
		r, err := d.Check(ctx, acc)
		cancel()
		printReport(e, acc, r, err)
		results[acc.Name] = err
		if err != nil && (failed == nil || daemon.IsPermanent(err)) {
			failed = err
		}
	}
	recordChecks(a, results)
	if failed != nil {
		return exitError{exitStatus(failed)}
	}
	return nil
}

// recordChecks keeps what check learnt for status: a success clears an
// old error. A state held by a running daemon is left to it.
func recordChecks(a *app, results map[string]error) {
	st, err := a.openState()
	if err != nil {
		return
	}
	defer st.Close()
	now := time.Now()
	for name, err := range results {
		st.Record(name, func(act *state.Activity) {
			if err != nil {
				act.LastError, act.LastErrorAt = err.Error(), now
				return
			}
			act.LastContact, act.LastError = now, ""
		})
	}
}

func printReport(e *env, a *config.Account, r *daemon.Report, err error) {
	fmt.Fprintf(e.stdout, "\naccount %s (%s on %s, %s)\n", a.Name, a.Username, a.Addr(), a.TLS)
	if r != nil {
		yes := map[bool]string{true: "yes", false: "no"}
		fmt.Fprintf(e.stdout, "  login        ok\n  mailboxes    %s\n  drafts       %s (%s)\n  IDLE         %s\n  SPECIAL-USE  %s\n",
			wrapList(r.MailboxList(60), 80, "\n               "), r.Drafts, r.DraftsWhy, yes[r.IDLE], yes[r.SpecialUse])
		for _, mb := range a.Mailboxes {
			if n, ok := r.Messages[mb]; ok {
				kw := "accepted"
				if !r.Keyword[mb] {
					kw = "refused: rejections get drafts but no keyword"
				}
				fmt.Fprintf(e.stdout, "  watch        %s (%d messages; keyword %s %s)\n", mb, n, a.Keyword, kw)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(e.stdout, "  problem      %v\n", err)
	}
}

// wrapList joins items with ", ", breaking the line with sep before one
// would pass width.
func wrapList(items []string, width int, sep string) string {
	var b strings.Builder
	line := 0
	for i, it := range items {
		if i > 0 {
			b.WriteString(",")
			line++
			if line+1+len(it) > width {
				b.WriteString(sep)
				line = 0
			} else {
				b.WriteString(" ")
				line++
			}
		}
		b.WriteString(it)
		line += len(it)
	}
	return b.String()
}

func orDefault(p string) string {
	if p == "" {
		return config.DefaultPath()
	}
	return p
}
