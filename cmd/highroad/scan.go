package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/highroad/highroad/daemon"
)

var scanCommand = &command{
	name: "scan", args: "", noArgs: true,
	summary: "one pass over existing mail (-since DATE, -dry-run)",
	help: `Looks once at the mail received since a date (by default the first-run window,
14 days) and handles it as run does: rejections are marked and answered in
Drafts. Mail already handled is recognised and counted, never answered twice.
Without -since, mail that arrived before highroad's first-run cutoff (its
first start less the window) is left alone, as run does; -since is an explicit
request for older mail and answers rejections from before the cutoff too.
With -dry-run nothing is changed and the lines say what would be done.
Exit status 1 when a draft could not be written (a draft the server refused
is tried again by run).`,
	flags: func(fs *flag.FlagSet) func(*env) error {
		since := fs.String("since", "", "scan mail received since `DATE` (YYYY-MM-DD; default: the first-run window)")
		dryRun := fs.Bool("dry-run", false, "change nothing; print what would be done")
		level := logLevel(fs, slog.LevelWarn) // the lines below say what happened
		return func(e *env) error {
			var t time.Time
			if *since != "" {
				var err error
				if t, err = time.ParseInLocation("2006-01-02", *since, time.Local); err != nil {
					return usagef("-since %q: write the date as YYYY-MM-DD", *since)
				}
			}
			return scan(e, t, *dryRun, newLogger(e.stderr, *level))
		}
	},
}

// scanTally counts what a scan found.
type scanTally struct {
	dryRun                           bool
	messages, drafted, before, fails int
}

func scan(e *env, since time.Time, dryRun bool, log *slog.Logger) error {
	a, err := loadAccounts(e.config)
	if err != nil {
		return err
	}
	shown := since // zero asks the daemon for each account's window, within the cutoff
	if since.IsZero() {
		shown = time.Now().Add(-time.Duration(a.cfg.Accounts[0].FirstRunWindow))
	}
	st, err := a.openState()
	if err != nil {
		return err
	}
	defer st.Close()
	events := make(chan daemon.Event)
	d, err := a.daemon(daemon.Options{Store: st, Log: log, DryRun: dryRun, Events: events})
	if err != nil {
		return err
	}
	t := &scanTally{dryRun: dryRun}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			t.add(e.stdout, ev)
		}
	}()
	err = d.Scan(e.ctx, since, progressBar(e.stderr))
	close(events)
	<-done
	if e.ctx.Err() != nil {
		t.summary(e.stdout, since)
		return fmt.Errorf("interrupted: the counts above cover only the mail looked at so far")
	}
	if err != nil {
		return err
	}
	t.summary(e.stdout, shown)
	if t.fails > 0 {
		return fmt.Errorf("%d rejections have no draft (see the lines marked \"not drafted\")", t.fails)
	}
	return nil
}

// add prints one line for a rejection, handled now or before.
func (t *scanTally) add(w io.Writer, ev daemon.Event) {
	t.messages++
	var what string
	switch {
	case ev.Handled:
		t.before++
		what = "handled before"
	case !ev.Rejection:
		return
	case ev.Skipped != "":
		t.fails++
		what = "not drafted (" + ev.Skipped + ")"
	case t.dryRun:
		t.drafted++
		what = "would draft"
	case ev.Flagged:
		t.drafted++
		what = "drafted, marked"
	default:
		t.drafted++
		what = "drafted (no keyword)"
	}
	date := "----------"
	if !ev.Date.IsZero() {
		date = ev.Date.Local().Format("2006-01-02")
	}
	fmt.Fprintf(w, "%s  %s  %s\n            from %s (%s/%s uid %d)\n", date, what, quoteSubject(clip(ev.Subject, 70)),
		clip(ev.From, 80), ev.Account, ev.Mailbox, ev.UID)
}

func (t *scanTally) summary(w io.Writer, since time.Time) {
	now := "drafted now"
	if t.dryRun {
		now = "would be drafted"
	}
	fmt.Fprintf(w, "%d messages received since %s: %d rejections (%d %s, %d handled before", t.messages, since.Format("2006-01-02"),
		t.drafted+t.before+t.fails, t.drafted, now, t.before)
	if t.fails > 0 {
		fmt.Fprintf(w, ", %d not drafted", t.fails)
	}
	fmt.Fprintln(w, ")")
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
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
