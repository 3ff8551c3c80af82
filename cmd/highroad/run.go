package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/install"
	"github.com/highroad/highroad/state"
)

// newDaemon builds a daemon from the configuration at path, with its state
// store open. The caller closes the store.
func newDaemon(path string, stderr io.Writer, level slog.Level) (*daemon.Daemon, error) {
	d, err := newDaemonNoState(path, stderr, level)
	if err != nil {
		return nil, err
	}
	if d.Store, err = state.Open(d.Config.StatePath()); err != nil {
		return nil, err
	}
	return d, nil
}

// newDaemonNoState builds a daemon without opening the state, for commands
// that only talk to servers and must not hold the file a running daemon
// needs.
func newDaemonNoState(path string, stderr io.Writer, level slog.Level) (*daemon.Daemon, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := cfg.NeedAccounts(); err != nil {
		return nil, err
	}
	rules, err := cfg.Rules()
	if err != nil {
		return nil, err
	}
	c, err := classifier.New(rules, selfAddresses(cfg)...)
	if err != nil {
		return nil, err
	}
	tmpls, err := cfg.LoadTemplates()
	if err != nil {
		return nil, err
	}
	return &daemon.Daemon{
		Config: cfg, Classifier: c, Templates: tmpls,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}, nil
}

// selfAddresses are the user's own addresses: mail from them is never a
// rejection.
func selfAddresses(cfg *config.Config) []string {
	out := []string{cfg.Profile.Address}
	for _, a := range cfg.Accounts {
		if strings.Contains(a.Username, "@") {
			out = append(out, a.Username)
		}
	}
	return out
}

func logLevel(fs *flag.FlagSet) *slog.Level {
	level := new(slog.Level)
	fs.TextVar(level, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	return level
}

// exitConfig (EX_CONFIG) is run's exit status when retrying cannot help: a
// broken configuration, a refused login, a missing mailbox. The systemd
// unit does not restart on it.
const exitConfig = 78

// runRun is the daemon in the foreground: what the service runs.
func runRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfgPath string
	fs := newFlags("run", stderr, &cfgPath)
	level := logLevel(fs)
	if fs.Parse(args) != nil {
		return 2
	}
	// install.Run answers the service manager (a Windows service must),
	// stops the daemon on SIGTERM, Ctrl+C or the manager's stop, and logs
	// how it ended.
	err := install.Run(func(ctx context.Context, log *slog.Logger) error {
		d, err := newDaemon(cfgPath, stderr, *level)
		if err != nil {
			return err
		}
		defer d.Store.Close()
		d.Log = log
		log.Info("highroad started", "accounts", len(d.Config.Accounts), "state", d.Config.StatePath())
		return d.Run(ctx)
	}, install.RunOptions{Stderr: stderr, Level: *level})
	switch {
	case err == nil:
		return 0
	case errors.Is(err, install.ErrStopTimeout):
		return 1
	}
	return exitConfig
}

// runCheck validates the configuration and tries every account.
func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfgPath string
	fs := newFlags("check", stderr, &cfgPath)
	if fs.Parse(args) != nil {
		return 2
	}
	d, err := newDaemonNoState(cfgPath, io.Discard, slog.LevelError)
	if err != nil {
		fmt.Fprintln(stderr, "highroad check:", err)
		return 1
	}
	fmt.Fprintf(stdout, "config %s: valid\n", orDefault(d.Config.Path))
	status := 0
	for i := range d.Config.Accounts {
		a := &d.Config.Accounts[i]
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		r, err := d.Check(ctx, a)
		cancel()
		fmt.Fprintf(stdout, "\naccount %s (%s@%s, %s)\n", a.Name, a.Username, a.Addr(), a.TLS)
		if r != nil {
			yes := map[bool]string{true: "yes", false: "no"}
			fmt.Fprintf(stdout, "  login        ok\n  drafts       %s\n  IDLE         %s\n  SPECIAL-USE  %s\n",
				r.Drafts, yes[r.IDLE], yes[r.SpecialUse])
			for _, mb := range a.Mailboxes {
				if n, ok := r.Messages[mb]; ok {
					kw := "accepted"
					if !r.Keyword[mb] {
						kw = "refused: rejections get drafts but no keyword"
					}
					fmt.Fprintf(stdout, "  watch        %s (%d messages; keyword %s %s)\n", mb, n, a.Keyword, kw)
				}
			}
		}
		if err != nil {
			fmt.Fprintf(stdout, "  problem      %v\n", err)
			status = 1
		}
	}
	return status
}

func orDefault(p string) string {
	if p == "" {
		return config.DefaultPath()
	}
	return p
}

// runScan makes one pass over existing mail.
func runScan(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfgPath string
	fs := newFlags("scan", stderr, &cfgPath)
	sinceFlag := fs.String("since", "", "scan mail received since `DATE` (YYYY-MM-DD; default: the first-run window)")
	dryRun := fs.Bool("dry-run", false, "change nothing; print what would be done")
	level := logLevel(fs)
	if fs.Parse(args) != nil {
		return 2
	}
	d, err := newDaemon(cfgPath, stderr, *level)
	if err != nil {
		fmt.Fprintln(stderr, "highroad scan:", err)
		return 1
	}
	defer d.Store.Close()
	since := time.Now().Add(-time.Duration(d.Config.Accounts[0].FirstRunWindow))
	if *sinceFlag != "" {
		if since, err = time.ParseInLocation("2006-01-02", *sinceFlag, time.Local); err != nil {
			fmt.Fprintf(stderr, "highroad scan: -since %q: write the date as YYYY-MM-DD\n", *sinceFlag)
			return 2
		}
	}
	d.DryRun = *dryRun
	events := make(chan daemon.Event)
	d.Events = events
	done := make(chan struct{})
	rejections := 0
	go func() {
		defer close(done)
		for ev := range events {
			if ev.Rejection {
				rejections++
				what := "flagged and drafted"
				if d.DryRun {
					what = "would flag and draft"
				}
				fmt.Fprintf(stdout, "%s  %s/%s uid %d  %s\n", what, ev.Account, ev.Mailbox, ev.UID, ev.MessageID)
			}
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = d.Scan(ctx, since, progressBar(stderr))
	close(events)
	<-done
	if err != nil {
		fmt.Fprintln(stderr, "highroad scan:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d rejections since %s\n", rejections, since.Format("2006-01-02"))
	return 0
}

// progressBar draws progress on a terminal, and nothing elsewhere.
func progressBar(w io.Writer) func(done, total int) {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(done, total int) {
		const width = 30
		n := width * done / max(total, 1)
		fmt.Fprintf(w, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

// runStatus prints what highroad has done, from its state, and asks each
// account's server whether the drafts are still in Drafts.
func runStatus(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfgPath string
	fs := newFlags("status", stderr, &cfgPath)
	n := fs.Int("n", 10, "show the `N` most recent rejections")
	offline := fs.Bool("offline", false, "do not connect to the servers to look for the drafts")
	if fs.Parse(args) != nil {
		return 2
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "highroad status:", err)
		return 1
	}
	st, err := state.Open(cfg.StatePath())
	if err != nil {
		fmt.Fprintln(stderr, "highroad status:", err)
		return 1
	}
	defer st.Close()
	fmt.Fprintf(stdout, "service %s\n\n", serviceState(cfgPath))
	var inDrafts map[string]map[string]bool // account -> rejection Message-ID -> draft present
	if !*offline && len(cfg.Accounts) > 0 {
		st.Release() // let a running daemon keep working while we ask the servers
		inDrafts = lookForDrafts(cfg)
	}
	return printStatus(stdout, st, *n, inDrafts)
}

// lookForDrafts asks every account's server which rejections still have
// their draft in Drafts; an account that cannot be reached is left out.
func lookForDrafts(cfg *config.Config) map[string]map[string]bool {
	d := &daemon.Daemon{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	out := map[string]map[string]bool{}
	for i := range cfg.Accounts {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		ids, err := d.AnsweredInDrafts(ctx, &cfg.Accounts[i])
		cancel()
		if err == nil {
			out[cfg.Accounts[i].Name] = ids
		}
	}
	return out
}

func printStatus(w io.Writer, st *state.Store, n int, inDrafts map[string]map[string]bool) int {
	accounts, err := st.Accounts()
	if err != nil {
		fmt.Fprintln(w, "highroad status:", err)
		return 1
	}
	if len(accounts) == 0 {
		fmt.Fprintln(w, "highroad has not run yet.")
		return 0
	}
	for _, name := range accounts {
		act, _ := st.Activity(name)
		fmt.Fprintf(w, "account %s\n  last contact  %s\n", name, when(act.LastContact))
		if act.LastError != "" {
			fmt.Fprintf(w, "  last error    %s (%s)\n", act.LastError, when(act.LastErrorAt))
		}
		fmt.Fprintf(w, "  messages      %d seen, %d rejections, %d drafts\n", act.Seen, act.Rejections, act.Drafts)
	}
	recs, err := st.Rejections("", n)
	if err != nil {
		fmt.Fprintln(w, "highroad status:", err)
		return 1
	}
	if len(recs) > 0 {
		fmt.Fprintln(w, "\nrecent rejections")
	}
	for _, r := range recs {
		draft := "draft state unknown (server not asked)"
		if ids, ok := inDrafts[r.Account]; ok {
			draft = "draft gone from Drafts (sent or deleted)"
			if ids[r.MessageID] {
				draft = "draft waiting in Drafts"
			}
		}
		fmt.Fprintf(w, "  %s  %-24s %-28s %s\n", r.Received.Format("2006-01-02"), dash(r.Company), dash(r.Role), draft)
	}
	return 0
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
