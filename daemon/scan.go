package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/state"
)

// Scan makes one pass over the mail of every account received since the
// given time, handling each message as the daemon does (a message already
// handled is recognised and left alone), and returns. progress, when set,
// is called after each message with the count done and the total.
//
// Scan returns an error wrapping ctx.Err() when ctx ends before the pass
// does. A zero since means each account's first-run window, back from now, and
// the first-run cutoff holds as in Run. A since given is the user's
// explicit request to look at older mail: mail received before the cutoff
// is answered too.
func (d *Daemon) Scan(ctx context.Context, since time.Time, progress func(done, total int)) error {
	if err := d.needStore(); err != nil {
		return err
	}
	for i := range d.Config.Accounts {
		a := &d.Config.Accounts[i]
		log := d.Log.With("account", a.Name)
		s, err := d.connect(ctx, a, log)
		if err != nil {
			d.recordError(a.Name, err)
			return fmt.Errorf("account %q: %w", a.Name, err)
		}
		err = s.scan(ctx, since, progress)
		s.close()
		if ctx.Err() != nil {
			// Stopped part-way: say so, and leave the last error as it was.
			return fmt.Errorf("account %q: interrupted before the end: %w", a.Name, ctx.Err())
		}
		if err != nil {
			d.recordError(a.Name, err)
			return fmt.Errorf("account %q: %w", a.Name, err)
		}
		d.recordContact(a.Name)
	}
	return nil
}

func (s *session) scan(ctx context.Context, since time.Time, progress func(done, total int)) error {
	if err := s.loadCutoff(); err != nil {
		return err
	}
	s.allowOld = !since.IsZero()
	if since.IsZero() {
		since = s.d.now().Add(-time.Duration(s.a.FirstRunWindow))
	}
	for _, mb := range s.a.Mailboxes {
		data, err := s.selectMailbox(mb)
		if err != nil {
			return err
		}
		s.validity = data.UIDValidity
		uids, err := s.since(since)
		if err != nil {
			return err
		}
		// A scan never moves the daemon's progress: older messages it
		// passes over must still be seen by the daemon.
		s.scanning = true
		prog := state.Progress{UIDValidity: data.UIDValidity}
		done := 0
		for len(uids) > 0 && ctx.Err() == nil {
			n := min(batch, len(uids))
			if err := s.handleBatch(ctx, mb, uids[:n], &prog); err != nil {
				return err
			}
			done += n
			if progress != nil {
				progress(done, done+len(uids)-n)
			}
			uids = uids[n:]
		}
	}
	return nil
}

// Report is what Check found out about an account.
type Report struct {
	Account string
	Drafts  string
	// DraftsWhy says why Drafts was chosen ("marked \Drafts by the
	// server"); Mailboxes are all those the server listed.
	DraftsWhy  string
	Mailboxes  []Mailbox
	IDLE       bool
	SpecialUse bool
	// Keyword says, per watched mailbox, whether the server accepts the
	// keyword there.
	Keyword  map[string]bool
	Messages map[string]uint32
}

// MailboxList lists up to n of the mailboxes compactly: names, with their
// special-use attributes in parentheses, and "and 12 more".
func (r *Report) MailboxList(n int) []string {
	var out []string
	for i, m := range r.Mailboxes {
		if i == n {
			return append(out, fmt.Sprintf("and %d more", len(r.Mailboxes)-n))
		}
		out = append(out, m.String())
	}
	return out
}

// Check connects to a, logs in, finds Drafts and opens each watched
// mailbox, changing nothing.
func (d *Daemon) Check(ctx context.Context, a *config.Account) (*Report, error) {
	s, err := d.connect(ctx, a, d.Log.With("account", a.Name))
	if err != nil {
		return nil, err
	}
	defer s.close()
	r := &Report{Account: a.Name, Drafts: s.drafts, DraftsWhy: s.found.Why, Mailboxes: s.found.Seen, IDLE: s.c.Caps().Has(imap.CapIdle),
		SpecialUse: s.c.Caps().Has(imap.CapSpecialUse), Keyword: map[string]bool{}, Messages: map[string]uint32{}}
	s.keywordNote = true // Check reports it instead of logging it
	for _, mb := range a.Mailboxes {
		data, err := s.selectMailbox(mb) // read-write: only that shows whether keywords are accepted
		if err != nil {
			return r, err
		}
		r.Keyword[mb] = s.keywordOK
		r.Messages[mb] = data.NumMessages
	}
	return r, nil
}

// AnsweredInDrafts connects to a and returns the Message-IDs of the
// rejections that a draft in Drafts still answers, changing nothing.
func (d *Daemon) AnsweredInDrafts(ctx context.Context, a *config.Account) (map[string]bool, error) {
	s, err := d.connect(ctx, a, d.Log.With("account", a.Name))
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.loadDraftIndex(); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(s.draftIndex))
	for id := range s.draftIndex {
		out[id] = true
	}
	return out, nil
}
