package daemon

import (
	"fmt"
	"time"
)

// The first-run cutoff is an absolute time, recorded per account at its
// first start: that start less first_run_window. No message whose
// INTERNALDATE (its arrival on the server) is before it is ever answered,
// whatever happens later: a crash during the first pass, a renumbered
// mailbox, old mail moved in. Mail that arrives while highroad is down
// arrives after it and is handled. Only `scan -since`, the user's explicit
// request for older mail, looks past it.

// loadCutoff sets s.cutoff, recording the account's cutoff on its first
// start (not in a dry run, which only computes it).
func (s *session) loadCutoff() error {
	if !s.cutoff.IsZero() {
		return nil
	}
	window := time.Duration(s.a.FirstRunWindow)
	if s.d.Store == nil {
		s.cutoff = s.d.now().Add(-window)
		return nil
	}
	t, ok, err := s.d.Store.Cutoff(s.a.Name)
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	if ok {
		s.cutoff = t
		return nil
	}
	start, err := s.firstStart()
	if err != nil {
		return err
	}
	if s.d.DryRun {
		s.cutoff = start.Add(-window)
		return nil
	}
	if s.cutoff, err = s.d.Store.InitCutoff(s.a.Name, start.Add(-window)); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	s.log.Info("first-run cutoff recorded: older mail is never answered", "cutoff", s.cutoff.Format(time.RFC3339))
	return nil
}

// firstStart is now, or, for a state file written before highroad kept a
// cutoff, the earliest trace of an earlier run it holds (a draft, a
// finished pass), so that mail that arrived while it was not running is
// still answered.
func (s *session) firstStart() (time.Time, error) {
	start := s.d.now()
	recs, err := s.d.Store.Rejections(s.a.Name, 0)
	if err != nil {
		return start, fmt.Errorf("read state: %w", err)
	}
	for _, r := range recs {
		if !r.Drafted.IsZero() && r.Drafted.Before(start) {
			start = r.Drafted
		}
	}
	for _, mb := range s.a.Mailboxes {
		p, ok, err := s.d.Store.Progress(s.a.Name, mb)
		if err != nil {
			return start, fmt.Errorf("read state: %w", err)
		}
		if ok && !p.Scanned.IsZero() && p.Scanned.Before(start) {
			start = p.Scanned
		}
	}
	return start, nil
}

// beforeCutoff reports whether m arrived before the first-run cutoff and
// must be left alone. A server that gives no INTERNALDATE cannot tell.
func (s *session) beforeCutoff(m fetched) bool {
	return !s.allowOld && !m.date.IsZero() && m.date.Before(s.cutoff)
}
