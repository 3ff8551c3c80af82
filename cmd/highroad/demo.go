package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
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

// runDemo starts an IMAP server on localhost holding the sample messages,
// runs the daemon against it, shows what it flagged and drafted, and keeps
// serving so that a mail client can look at the result.
func runDemo(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfgPath string
	fs := newFlags("demo", stderr, &cfgPath)
	exit := fs.Bool("exit", false, "stop after showing the results instead of serving until Ctrl-C")
	if fs.Parse(args) != nil {
		return 2
	}
	if err := demoRun(cfgPath, *exit, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "highroad demo:", err)
		return 1
	}
	return 0
}

func demoRun(cfgPath string, exit bool, stdout, stderr io.Writer) error {
	user, pass := "demo", randomPassword()
	srv, err := demo.Start(user, pass)
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
	d, cleanup, err := demoDaemon(cfgPath, srv)
	if err != nil {
		return err
	}
	defer cleanup()
	events := make(chan daemon.Event, len(all))
	d.Events = events
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	fmt.Fprintf(stdout, "highroad demo: an IMAP server on %s holds %d sample messages; highroad watches its INBOX.\n", srv.Addr, len(all))
	rule := strings.Repeat("─", 72)
	for range all {
		var ev daemon.Event
		select {
		case ev = <-events:
		case err := <-done:
			return fmt.Errorf("the daemon stopped: %v", err)
		case <-time.After(30 * time.Second):
			return fmt.Errorf("the daemon handled no message within 30 s")
		}
		fmt.Fprintln(stdout, rule)
		showEvent(stdout, ev)
	}
	fmt.Fprintln(stdout, rule)
	if err := showDrafts(stdout, srv); err != nil {
		return err
	}
	if exit {
		cancel()
		return <-done
	}
	// Keep showing what the daemon does with mail dropped in from a client.
	go func() {
		for ev := range events {
			fmt.Fprintln(stdout, rule)
			showEvent(stdout, ev)
		}
	}()
	fmt.Fprintf(stdout, "\nOpen the result in your own mail client (plain IMAP on localhost, no TLS):\n"+
		"  server %s  port %s  user %s  password %s\n"+
		"Drop a message into the INBOX and watch highroad handle it. Ctrl-C stops the demo.\n",
		hostOf(srv.Addr), portOf(srv.Addr), user, pass)
	<-ctx.Done()
	return <-done
}

// demoDaemon builds a daemon for the demo server, with the user's profile
// and rules if a configuration exists, and a throw-away state file.
func demoDaemon(cfgPath string, srv *demo.Server) (*daemon.Daemon, func(), error) {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	cfg.Accounts = []config.Account{{
		Name: "demo", Server: hostOf(srv.Addr), TLS: config.TLSNone, Username: srv.User,
		PasswordCommand: "echo " + srv.Password, Mailboxes: []string{"INBOX"},
		FirstRunWindow: config.Duration(100 * 365 * 24 * time.Hour),
	}}
	fmt.Sscan(portOf(srv.Addr), &cfg.Accounts[0].Port)
	cfg.Accounts[0].Drafts, cfg.Accounts[0].Keyword = config.DefaultDrafts, config.DefaultKeyword
	cfg.Accounts[0].PollInterval = config.Duration(config.DefaultPollInterval)
	rules, err := cfg.Rules()
	if err != nil {
		return nil, nil, err
	}
	c, err := classifier.New(rules, selfAddresses(cfg)...)
	if err != nil {
		return nil, nil, err
	}
	tmpls, err := cfg.LoadTemplates()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "highroad-demo")
	if err != nil {
		return nil, nil, err
	}
	st, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	d := &daemon.Daemon{Config: cfg, Store: st, Classifier: c, Templates: tmpls,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// Mail dropped in by a person's client shows up within seconds.
		Timeouts: daemon.Timeouts{Recheck: 3 * time.Second}}
	return d, func() { st.Close(); os.RemoveAll(dir) }, nil
}

func showEvent(w io.Writer, ev daemon.Event) {
	if ev.Result == nil {
		fmt.Fprintf(w, "uid %d: passed over (%s)\n", ev.UID, ev.Skipped)
		return
	}
	explain(w, fmt.Sprintf("INBOX uid %d", ev.UID), ev.Result)
	switch {
	case ev.Rejection && ev.Flagged:
		fmt.Fprintf(w, "  → marked %s and a reply appended to Drafts\n", config.DefaultKeyword)
	case ev.Rejection:
		fmt.Fprintln(w, "  → a reply appended to Drafts")
	default:
		fmt.Fprintln(w, "  → left alone: no keyword, no draft")
	}
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
