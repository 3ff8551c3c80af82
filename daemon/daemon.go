// Package daemon watches IMAP mailboxes for job-application rejections:
// it flags each one with a keyword and appends a threaded reply to Drafts,
// exactly once, surviving dropped connections, restarts and crashes.
//
// One goroutine owns each account's connection. Everything the daemon does
// to a mailbox is adding its keyword to a rejection and appending drafts:
// messages are read with BODY.PEEK, so no \Seen flag is ever set.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/drafts"
	"github.com/highroad/highroad/state"
)

// Options are what a Daemon is made of.
type Options struct {
	// Config holds the accounts to watch; New refuses one without any.
	Config *config.Config
	// Classifier judges each message; Templates write the replies.
	Classifier *classifier.Classifier
	Templates  *drafts.Templates
	// Store records what has been done. Run and Scan need it (a dry run
	// reads it and writes nothing); Check and AnsweredInDrafts work
	// without.
	Store *state.Store
	// Log receives the daemon's decisions; nil discards them.
	Log *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// DryRun, when set, changes nothing: no keyword, no draft, no progress.
	DryRun bool
	// Timeouts bound the waits on a server; zero fields take defaults that
	// suit real servers, tests shorten them.
	Timeouts Timeouts
	// Events, when set, receives one Event per message decided. It must be
	// drained; the daemon blocks on it.
	Events chan<- Event
}

// Daemon watches the configured accounts. It is made by New and its
// options do not change after; Run, Scan and Check may be called from one
// goroutine at a time.
type Daemon struct {
	Options

	mu sync.Mutex
	ok map[string]bool // accounts that have logged in at least once

	idleModes idleModes // what was learnt of each account's IDLE
}

// New checks the options and returns a daemon built from them.
func New(opts Options) (*Daemon, error) {
	switch {
	case opts.Config == nil:
		return nil, errors.New("daemon: no configuration")
	case opts.Classifier == nil:
		return nil, errors.New("daemon: no classifier")
	case opts.Templates == nil:
		return nil, errors.New("daemon: no reply templates")
	}
	if err := opts.Config.NeedAccounts(); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	opts.Timeouts = opts.Timeouts.withDefaults()
	return &Daemon{Options: opts}, nil
}

// needStore refuses to run a pass without a state: even a dry run reads
// what was done before.
func (d *Daemon) needStore() error {
	if d.Store == nil {
		return errors.New("daemon: no state store")
	}
	return nil
}

// connected reports whether the account has ever logged in during this
// run, which makes some refusals look like hiccups rather than mistakes.
func (d *Daemon) connected(account string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ok[account]
}

// hasConnected reports whether the account has ever logged in, during this
// run or, per the state, an earlier one.
func (d *Daemon) hasConnected(account string) bool {
	if d.connected(account) {
		return true
	}
	if d.Store == nil {
		return false
	}
	act, err := d.Store.Activity(account)
	return err == nil && !act.LastContact.IsZero()
}

func (d *Daemon) markConnected(account string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ok == nil {
		d.ok = map[string]bool{}
	}
	d.ok[account] = true
}

// Timeouts bound the waits on a server.
type Timeouts struct {
	Command time.Duration // one IMAP command, including its response
	// Greeting is how long a server may stay silent after a plain connect
	// before a second connection asks whether the port expects TLS; the
	// wait for the greeting goes on up to Command.
	Greeting time.Duration
	Recheck  time.Duration // the longest wait before a pass over every mailbox
	// Heartbeat is how long an IDLE runs before it is ended to see that
	// the link is alive (with a NOOP until IDLE has pushed mail, which
	// also finds mail IDLE did not report); Answer is how long that check
	// may take before the link counts as dead and is replaced.
	Heartbeat time.Duration
	Answer    time.Duration
	// Fallback is the poll interval once a server's IDLE is found not to
	// report new mail.
	Fallback time.Duration
	// BackoffMin and BackoffMax bound the wait before reconnecting after a
	// session failed; Redial caps it while the server cannot be reached at
	// all, so that a network coming back is noticed within Redial.
	BackoffMin time.Duration
	BackoffMax time.Duration
	Redial     time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	if t.Command == 0 {
		t.Command = 60 * time.Second
	}
	if t.Greeting == 0 {
		t.Greeting = 5 * time.Second
	}
	if t.Recheck == 0 {
		t.Recheck = 5 * time.Minute
	}
	if t.Heartbeat == 0 {
		t.Heartbeat = 20 * time.Second
	}
	if t.Answer == 0 {
		t.Answer = 8 * time.Second
	}
	if t.Fallback == 0 {
		t.Fallback = 20 * time.Second
	}
	if t.Redial == 0 {
		t.Redial = 15 * time.Second
	}
	if t.BackoffMin == 0 {
		t.BackoffMin = time.Second
	}
	if t.BackoffMax == 0 {
		t.BackoffMax = 5 * time.Minute
	}
	return t
}

// Event reports a decision about one message, for tests and the demo.
type Event struct {
	Account, Mailbox string
	UID              uint32
	MessageID        string
	Rejection        bool
	Flagged          bool   // the keyword was stored
	DraftID          string // the appended draft's Message-ID, or the one already there
	Skipped          string // why the message was passed over, if it was
	// Handled is set for a message passed over because it already carries
	// the keyword: a rejection handled before.
	Handled bool
	// Date, From and Subject are the message's, when it could be read.
	Date          time.Time
	From, Subject string
	// Result is the classification, for messages that were classified.
	Result *classifier.Result
	// Bytes is how much of the message was fetched.
	Bytes int
	// Took is the time from the start of the pass that found the message
	// (right after IDLE reported it) to the end of its handling:
	// highroad's own share of the delay.
	Took time.Duration
}

// PermanentError is an error that retrying cannot fix, such as refused
// credentials or a missing mailbox: the account stops.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

func permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err stops an account for good.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

func (d *Daemon) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Run watches every account until ctx is cancelled, and returns nil then.
// An account that fails permanently stops with its error logged; Run
// returns the joined permanent errors once every account has stopped.
func (d *Daemon) Run(ctx context.Context) error {
	if err := d.needStore(); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(d.Config.Accounts))
	for i := range d.Config.Accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.watch(ctx, &d.Config.Accounts[i])
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return errors.Join(errs...)
}

// watch runs sessions for one account, reconnecting after transient
// failures with capped, jittered backoff that resets after a good session.
func (d *Daemon) watch(ctx context.Context, a *config.Account) error {
	log := d.Log.With("account", a.Name)
	backoff := d.Timeouts.BackoffMin
	var quiet retryLog
	for {
		start := time.Now()
		reached, err := d.session(ctx, a, log)
		if ctx.Err() != nil {
			return nil
		}
		d.recordError(a.Name, err)
		if IsPermanent(err) {
			log.Error("account stopped", "err", err)
			return fmt.Errorf("account %q: %w", a.Name, err)
		}
		if time.Since(start) > 2*time.Minute {
			backoff = d.Timeouts.BackoffMin // the session was healthy for a while
		}
		wait := jitter(backoff)
		if !reached {
			// Offline: try often, so that mail is handled soon after the
			// network comes back, but say so only now and then.
			wait = min(wait, d.Timeouts.Redial)
		}
		if quiet.worth(err, reached) {
			log.Warn(d.retryNote(a.Name, reached), "err", err, "in", wait.Round(time.Millisecond))
		} else {
			log.Debug(d.retryNote(a.Name, reached), "err", err, "in", wait.Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(2*backoff, d.Timeouts.BackoffMax)
	}
}

// retryLog keeps a server that stays out of reach from filling the log:
// the same failure is logged again only after a quarter of an hour.
type retryLog struct {
	last   string
	logged time.Time
}

func (q *retryLog) worth(err error, reached bool) bool {
	msg := fmt.Sprint(reached, err)
	if reached || msg != q.last || time.Since(q.logged) > 15*time.Minute {
		q.last, q.logged = msg, time.Now()
		return true
	}
	return false
}

// retryNote says what failed: a connection that had been made, or a
// connect, and whether the account has ever worked (if not, the settings
// or a server not yet started are the likely cause).
func (d *Daemon) retryNote(account string, reached bool) string {
	switch {
	case reached:
		return "connection lost; reconnecting"
	case d.hasConnected(account):
		return "cannot connect; retrying"
	}
	return "cannot connect yet; retrying"
}

func jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d)/2+1))
}

// session connects once and serves the account until the connection fails
// or ctx is cancelled; reached tells whether it got connected. A panic
// becomes a transient error.
func (d *Daemon) session(ctx context.Context, a *config.Account, log *slog.Logger) (reached bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("panic in session", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	s, err := d.connect(ctx, a, log)
	if err != nil {
		return false, err
	}
	defer s.close()
	reached = true
	d.markConnected(a.Name)
	d.recordContact(a.Name)
	return reached, s.serve(ctx)
}

// recordContact and recordError keep the account's activity for status,
// in a dry run too: they say how the server answered, not what was done.
func (d *Daemon) recordContact(account string) {
	if d.Store == nil {
		return
	}
	d.Store.Record(account, func(act *state.Activity) {
		act.LastContact = d.now()
		act.LastError = ""
	})
}

func (d *Daemon) recordError(account string, err error) {
	if d.Store == nil || err == nil {
		return
	}
	d.Store.Record(account, func(act *state.Activity) {
		act.LastError = err.Error()
		act.LastErrorAt = d.now()
	})
}
