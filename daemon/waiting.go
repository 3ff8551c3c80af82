package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/highroad/highroad/state"
)

// Drafts the server refused (over quota, too many messages) wait in the
// state and are tried again on later passes: a minute after the first
// refusal, then twice as long after each, at most an hour apart. A pass
// runs when mail arrives and at each periodic re-check, so a retry comes at
// the first pass after its time.
const (
	retryFirst = time.Minute
	retryMax   = time.Hour
)

// retryDelay is the wait after the n-th refusal in a row.
func retryDelay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 { // 2^6 minutes is past the cap already
		return retryMax
	}
	return min(retryFirst<<(n-1), retryMax)
}

// refusal is how a server's refusal reads in the state and in status:
// "[OVERQUOTA] quota exceeded".
func refusal(err error) string {
	var e *imap.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	if e.Code != "" {
		return "[" + string(e.Code) + "] " + e.Text
	}
	return e.Text
}

// refused records that the server refused rec's draft with err, and when
// to try again, and returns what to tell the user.
func (s *session) refused(rec *state.Rejection, err error, log *slog.Logger) (string, error) {
	rec.Attempts++
	rec.Refused = refusal(err)
	rec.NextTry = s.d.now().Add(retryDelay(rec.Attempts))
	if err := s.d.Store.PutRejection(*rec); err != nil {
		return "", fmt.Errorf("write state: %w", err)
	}
	log.Error("the server refused the draft; it will be tried again", "message_id", rec.MessageID,
		"err", err, "attempts", rec.Attempts, "next_try", rec.NextTry.Format(time.RFC3339))
	return "the server refused the draft: " + rec.Refused + "; highroad will try again", nil
}

// retryWaiting appends again, in the selected mailbox, the drafts the
// server refused whose time has come. A waiting rejection that is gone
// from the mailbox, or no longer needs a draft, stops waiting.
func (s *session) retryWaiting(ctx context.Context, mailbox string) error {
	due, err := s.due(mailbox)
	if err != nil || len(due) == 0 {
		return err
	}
	s.log.Info("trying again the drafts the server refused", "mailbox", mailbox, "count", len(due))
	// The records chose these messages: the first-run cutoff was applied
	// then (or waived by an explicit scan -since), so deciding them again
	// must not apply it a second time.
	s.allowOld = true
	defer func() { s.allowOld = false }()
	var ds []decision
	err = s.fetch(keys(due), func(m fetched) {
		if d := s.decide(mailbox, m); d.ev.Rejection {
			ds = append(ds, d)
		}
	})
	if err != nil {
		return err
	}
	for _, d := range ds {
		if ctx.Err() != nil {
			return nil
		}
		delete(due, d.m.uid)
		if err := s.act(mailbox, d); err != nil {
			return err
		}
	}
	return s.stopWaiting(due)
}

// due returns the waiting rejections of mailbox, as numbered now, whose
// next try has come, by UID.
func (s *session) due(mailbox string) (map[imap.UID]state.Rejection, error) {
	if s.d.DryRun || s.d.Store == nil {
		return nil, nil
	}
	recs, err := s.d.Store.Waiting(s.a.Name)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	now := s.d.now()
	due := map[imap.UID]state.Rejection{}
	for _, r := range recs {
		// Under another UIDVALIDITY the UID names another message; the
		// re-check that follows a renumbering finds the rejection again.
		if r.Mailbox == mailbox && r.UIDValidity == s.validity && !r.NextTry.After(now) {
			due[imap.UID(r.UID)] = r
		}
	}
	return due, nil
}

// stopWaiting clears the waiting state of rejections found gone or no
// longer in need of a draft.
func (s *session) stopWaiting(gone map[imap.UID]state.Rejection) error {
	for _, r := range gone {
		s.log.Warn("a rejection whose draft was refused is gone or answered; no longer trying",
			"mailbox", r.Mailbox, "uid", r.UID, "message_id", r.MessageID)
		r.Refused, r.NextTry = "", time.Time{}
		if err := s.d.Store.PutRejection(r); err != nil {
			return fmt.Errorf("write state: %w", err)
		}
	}
	return nil
}

func keys(m map[imap.UID]state.Rejection) []imap.UID {
	out := make([]imap.UID, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	return out
}
