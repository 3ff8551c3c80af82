package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
	"github.com/highroad/highroad/samples"
	"github.com/highroad/highroad/state"
)

var demoCommand = &command{
	name: "demo", noArgs: true,
	summary: "watch a built-in IMAP server with sample mail, no account needed",
	help: `Starts an IMAP server on localhost holding a few sample messages, runs the
daemon against it, says in plain words what it made of each message and shows
the drafts it appended. Then it keeps serving, so that you can open the result
in your own mail client, until Ctrl-C. Your profile and rule changes apply when
a configuration exists.`,
	flags: func(fs *flag.FlagSet) func(*env) error {
		o := demoOptions{}
		fs.BoolVar(&o.exit, "exit", false, "stop after showing the results instead of serving until Ctrl-C")
		fs.BoolVar(&o.explain, "explain", false, "list the rules behind each verdict, with their weights")
		fs.IntVar(&o.port, "port", 0, "serve IMAP on this loopback `PORT` (default: a free one)")
		return func(e *env) error { return demoRun(e, o) }
	},
}

type demoOptions struct {
	exit, explain bool
	port          int
}

func demoRun(e *env, o demoOptions) error {
	fmt.Fprintln(e.stdout, "highroad demo: starting an IMAP server on localhost with sample mail...")
	user, pass := "demo", randomPassword()
	srv, err := demo.StartOn(o.port, user, pass)
	if err != nil {
		return err
	}
	defer srv.Close()
	all := samples.All()
	for _, s := range all {
		if err := srv.Deliver("INBOX", s.Raw); err != nil {
			return fmt.Errorf("deliver %s: %w", s.Name, err)
		}
	}
	events := make(chan daemon.Event, len(all))
	d, keyword, cleanup, err := demoDaemon(e.config, srv, events)
	if err != nil {
		return err
	}
	notes := map[string]string{}
	for _, r := range d.Classifier.Rules().Rules {
		notes[r.ID] = r.Note
	}
	defer cleanup()
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	var runErr error
	done := make(chan struct{})
	go func() { runErr = d.Run(ctx); close(done) }()
	// The daemon ends before the state it writes is closed and removed.
	defer func() { cancel(); <-done }()

	fmt.Fprintf(e.stdout, "The server on %s holds %d messages; highroad watches its INBOX.\n", srv.Addr, len(all))
	evs, err := collect(events, done, &runErr, len(all))
	if err != nil {
		return err
	}
	rule := strings.Repeat("─", 72)
	for _, ev := range evs {
		fmt.Fprintln(e.stdout, rule)
		showEvent(e.stdout, ev, keyword, notes, o.explain)
	}
	fmt.Fprintln(e.stdout, rule)
	if err := showDrafts(e.stdout, srv); err != nil {
		return err
	}
	if o.exit {
		cancel()
		<-done
		return runErr
	}
	// Keep showing what the daemon does with mail dropped in from a client.
	go func() {
		for ev := range events {
			fmt.Fprintln(e.stdout, rule)
			showEvent(e.stdout, ev, keyword, notes, o.explain)
		}
	}()
	fmt.Fprintf(e.stdout, "\nOpen the result in your own mail client (plain IMAP on localhost, no TLS):\n"+
		"  server %s  port %s  user %s  password %s\n"+
		"This in-memory server spells keywords in lower case (%s); Dovecot, Gmail and others keep %s.\n"+
		"Drop a message into the INBOX and watch highroad handle it. Ctrl-C stops the demo.\n",
		hostOf(srv.Addr), portOf(srv.Addr), user, pass, strings.ToLower(keyword), keyword)
	<-ctx.Done()
	<-done
	return runErr
}

// collect waits for n events and returns them in UID order, the order of
// the mailbox; the daemon reports look-alikes before the rejections it
// acts on.
func collect(events <-chan daemon.Event, done <-chan struct{}, runErr *error, n int) ([]daemon.Event, error) {
	var evs []daemon.Event
	for len(evs) < n {
		select {
		case ev := <-events:
			evs = append(evs, ev)
		case <-done:
			if *runErr == nil { // Ctrl-C
				return nil, errors.New("interrupted")
			}
			return nil, fmt.Errorf("the daemon stopped: %v", *runErr)
		case <-time.After(30 * time.Second):
			return nil, fmt.Errorf("the daemon handled %d of %d messages within 30 s", len(evs), n)
		}
	}
	slices.SortFunc(evs, func(a, b daemon.Event) int { return int(a.UID) - int(b.UID) })
	return evs, nil
}

// demoDaemon builds the daemon for the demo server the way every command
// builds one, with the user's profile and rules if a configuration exists,
// and a throw-away state file. It returns the keyword in use.
func demoDaemon(cfgPath string, srv *demo.Server, events chan<- daemon.Event) (*daemon.Daemon, string, func(), error) {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, "", nil, configError{err}
	}
	dir, err := os.MkdirTemp("", "highroad-demo")
	if err != nil {
		return nil, "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	pwFile := filepath.Join(dir, "password")
	if err := os.WriteFile(pwFile, []byte(srv.Password+"\n"), 0o600); err != nil {
		cleanup()
		return nil, "", nil, err
	}
	port, _ := strconv.Atoi(portOf(srv.Addr))
	cfg.Accounts = nil
	err = cfg.AddAccount(config.Account{
		Name: "demo", Server: hostOf(srv.Addr), Port: port, TLS: config.TLSNone, Username: srv.User,
		PasswordFile: pwFile, FirstRunWindow: config.Duration(100 * 365 * 24 * time.Hour),
	})
	if err != nil {
		cleanup()
		return nil, "", nil, err
	}
	a, err := newApp(cfg)
	if err != nil {
		cleanup()
		return nil, "", nil, err
	}
	st, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		cleanup()
		return nil, "", nil, err
	}
	d, err := a.daemon(daemon.Options{Store: st, Events: events,
		// Mail dropped in by a person's client shows up within seconds.
		Timeouts: daemon.Timeouts{Recheck: 3 * time.Second}})
	if err != nil {
		st.Close()
		cleanup()
		return nil, "", nil, err
	}
	return d, cfg.Accounts[0].Keyword, func() { st.Close(); cleanup() }, nil
}

// showEvent says what highroad made of one message: in plain words, or
// rule by rule with explain.
func showEvent(w io.Writer, ev daemon.Event, keyword string, notes map[string]string, explainRules bool) {
	fmt.Fprintf(w, "INBOX message %d: %s\n    from %s\n", ev.UID, quoteSubject(ev.Subject), dash(ev.From))
	if ev.Result == nil {
		fmt.Fprintf(w, "  → passed over (%s)\n", ev.Skipped)
		return
	}
	if explainRules {
		explain(w, "  verdict", ev.Result)
	} else {
		fmt.Fprintf(w, "  %s\n", plainVerdict(ev.Result, notes))
	}
	switch {
	case ev.Rejection && ev.Skipped != "":
		fmt.Fprintf(w, "  → no reply drafted: %s\n", ev.Skipped)
	case ev.Rejection && ev.Flagged:
		fmt.Fprintf(w, "  → marked %s, and a reply is waiting in Drafts\n", keyword)
	case ev.Rejection:
		fmt.Fprintln(w, "  → a reply is waiting in Drafts (the server refused the keyword)")
	default:
		fmt.Fprintln(w, "  → left alone: no keyword, no draft")
	}
}

// plainVerdict says in a sentence what the classifier decided and why.
func plainVerdict(r *classifier.Result, notes map[string]string) string {
	if !r.Rejection {
		why := fmt.Sprintf("not enough evidence of a decision (score %d, %d needed)", r.Score, r.Threshold)
		if len(r.Notes) > 0 {
			why = strings.Join(r.Notes, "; ")
		}
		// The strongest evidence against says best what the mail is.
		against := classifier.Hit{}
		for _, h := range r.Hits {
			if h.Signal == classifier.Against && h.Weight < against.Weight && notes[h.Rule] != "" {
				against = h
			}
		}
		if against.Rule != "" {
			why = notes[against.Rule]
		}
		return "Not a rejection: " + why + "."
	}
	stage := map[classifier.Stage]string{
		classifier.StageAfterInterview:  " after an interview",
		classifier.StageBeforeInterview: " before any interview",
	}[r.Stage]
	s := "A rejection" + stage
	if r.ContactName != "" {
		s += ", from " + r.ContactName
	}
	if r.Company != "" {
		s += " at " + r.Company
	}
	if r.Role != "" {
		s += ", for the " + r.Role + " role"
	}
	return s + fmt.Sprintf(" (score %d, %d needed; -explain lists the rules).", r.Score, r.Threshold)
}

func quoteSubject(s string) string {
	if s == "" {
		return "(no subject)"
	}
	return strconv.Quote(s)
}

// showDrafts prints the drafts as a mail client shows them.
func showDrafts(w io.Writer, srv *demo.Server) error {
	box, err := srv.Messages("Drafts")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Drafts now holds %d replies, threaded under their rejections:\n", len(box))
	for _, m := range box {
		e, err := gomessage.Read(bytes.NewReader(m.Raw))
		if err != nil {
			return err
		}
		h := gomail.Header{Header: e.Header}
		from, _ := h.AddressList("From")
		to, _ := h.AddressList("To")
		subj, _ := h.Subject()
		body, _ := io.ReadAll(e.Body)
		fmt.Fprintf(w, "\n    From:    %s\n    To:      %s\n    Subject: %s\n\n", addrs(from), addrsOr(to), subj)
		for _, l := range strings.Split(strings.TrimRight(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n"), "\n") {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
	return nil
}

func addrs(list []*gomail.Address) string {
	var out []string
	for _, a := range list {
		out = append(out, a.String())
	}
	return strings.Join(out, ", ")
}

func addrsOr(list []*gomail.Address) string {
	if len(list) == 0 {
		return "(nobody: the sender is a robot; add the recruiter's address)"
	}
	return addrs(list)
}

func randomPassword() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func hostOf(addr string) string { h, _, _ := strings.Cut(addr, ":"); return h }
func portOf(addr string) string { _, p, _ := strings.Cut(addr, ":"); return p }
