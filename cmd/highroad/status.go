package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/state"
)

var statusCommand = &command{
	name: "status", noArgs: true,
	summary: "whether highroad is running, and what it has done",
	help: `Says whether highroad is running (as a service or in the foreground) and, per
account, the last contact with the server, the last error if it has not been
cleared by a success since, and how many distinct messages, rejections and
drafts it has handled. Then it lists the recent rejections and asks each server
whether their drafts are still in Drafts (-offline does not ask).`,
	flags: func(fs *flag.FlagSet) func(*env) error {
		n := fs.Int("n", 10, "show the `N` most recent rejections")
		offline := fs.Bool("offline", false, "do not connect to the servers to look for the drafts")
		return func(e *env) error { return status(e, *n, *offline) }
	},
}

func status(e *env, n int, offline bool) error {
	a, err := load(e.config)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "highroad %s\nservice  %s\n\n", running(a.cfg), serviceState(e.config))
	st, err := a.openState()
	if err != nil {
		return err
	}
	defer st.Close()
	var inDrafts map[string]map[string]bool // account -> rejection Message-ID -> draft present
	if !offline && len(a.cfg.Accounts) > 0 {
		st.Release() // let a running daemon keep working while we ask the servers
		inDrafts = lookForDrafts(e.ctx, a)
	}
	return printStatus(e.stdout, st, n, inDrafts)
}

// running says whether a daemon holds the state, and how it runs.
func running(cfg *config.Config) string {
	r := state.Running(cfg.StatePath())
	switch {
	case r == nil:
		return "is not running"
	case r.PID == 0:
		return "is running"
	}
	return fmt.Sprintf("is running (%s, pid %d, since %s)", r.How, r.PID, r.Started.Local().Format("2006-01-02 15:04"))
}

// lookForDrafts asks every account's server which rejections still have
// their draft in Drafts; an account that cannot be reached is left out.
func lookForDrafts(ctx context.Context, a *app) map[string]map[string]bool {
	d, err := a.daemon(daemon.Options{})
	if err != nil {
		return nil
	}
	out := map[string]map[string]bool{}
	for i := range a.cfg.Accounts {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		ids, err := d.AnsweredInDrafts(ctx, &a.cfg.Accounts[i])
		cancel()
		if err == nil {
			out[a.cfg.Accounts[i].Name] = ids
		}
	}
	return out
}

func printStatus(w io.Writer, st *state.Store, n int, inDrafts map[string]map[string]bool) error {
	accounts, err := st.Accounts()
	if err != nil {
		return err
	}
	if len(accounts) == 0 {
		fmt.Fprintln(w, "highroad has not run yet.")
		return nil
	}
	for _, name := range accounts {
		act, err := st.Activity(name)
		if err != nil {
			return err
		}
		seen, err := st.Seen(name)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "account %s\n  last contact  %s\n", name, when(act.LastContact))
		if act.LastError != "" {
			fmt.Fprintf(w, "  last error    %s (%s)\n", act.LastError, when(act.LastErrorAt))
		}
		fmt.Fprintf(w, "  messages      %d seen, %d rejections, %d drafts\n", seen, act.Rejections, act.Drafts)
		if err := printWaiting(w, st, name); err != nil {
			return err
		}
		if err := printUnreadable(w, st, name); err != nil {
			return err
		}
	}
	recs, err := st.Rejections("", n)
	if err != nil {
		return err
	}
	if len(recs) > 0 {
		fmt.Fprintln(w, "\nrecent rejections")
	}
	for _, r := range recs {
		draft := "draft state unknown (server not asked)"
		if ids, ok := inDrafts[r.Account]; r.Waiting() {
			draft = "draft refused by the server; highroad will try again"
		} else if ok {
			draft = "draft gone from Drafts (sent or deleted)"
			if ids[r.MessageID] {
				draft = "draft waiting in Drafts"
			}
		}
		fmt.Fprintf(w, "  %s  %-24s %-30s %s\n", r.Received.Local().Format("2006-01-02"), clip(r.Company, 24), clip(r.Role, 30), draft)
	}
	return nil
}

// printWaiting says how many of an account's drafts the server refused
// and are still to be appended, in the server's words.
func printWaiting(w io.Writer, st *state.Store, account string) error {
	recs, err := st.Waiting(account)
	if err != nil || len(recs) == 0 {
		return err
	}
	last := recs[len(recs)-1] // the latest NextTry: the latest refusal
	what := "drafts waiting: the server refused them"
	if len(recs) == 1 {
		what = "draft waiting: the server refused it"
	}
	fmt.Fprintf(w, "  waiting       %d %s: %s (next try %s)\n", len(recs), what, clip(last.Refused, 100), when(recs[0].NextTry))
	return nil
}

// maxUnreadableShown bounds the unreadable messages listed per account.
const maxUnreadableShown = 10

// printUnreadable lists the messages of an account that highroad could not
// read: each may be a rejection that only the user can judge.
func printUnreadable(w io.Writer, st *state.Store, account string) error {
	list, more, err := st.Unreadables(account)
	if err != nil || len(list) == 0 {
		return err
	}
	n := len(list) + more
	fmt.Fprintf(w, "  unreadable    %d %s could not be read; look at %s in your mail program:\n", n,
		plural(n, "message", "messages"), plural(n, "it", "them"))
	for i, u := range list {
		if i == maxUnreadableShown {
			more += len(list) - i
			break
		}
		fmt.Fprintf(w, "                %s uid %d (%s): %s\n", u.Mailbox, u.UID, describeUnreadable(u), clip(u.Reason, 80))
	}
	if more > 0 {
		fmt.Fprintf(w, "                and %d more\n", more)
	}
	return nil
}

// describeUnreadable says what is known of an unreadable message.
func describeUnreadable(u state.Unreadable) string {
	var parts []string
	if !u.Date.IsZero() {
		parts = append(parts, u.Date.Local().Format("2006-01-02"))
	}
	if u.Subject != "" {
		parts = append(parts, fmt.Sprintf("%q", clip(u.Subject, 40)))
	}
	if u.Size > 0 {
		parts = append(parts, fmt.Sprintf("%d bytes", u.Size))
	}
	return strings.Join(append(parts, "found "+when(u.Found)), ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
