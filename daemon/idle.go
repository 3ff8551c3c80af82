package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
)

// serve catches up on every watched mailbox, then waits for new mail (with
// IDLE on the first mailbox where the server has it, by polling otherwise),
// until the connection fails or ctx is cancelled.
func (s *session) serve(ctx context.Context) error {
	for {
		for _, mb := range s.a.Mailboxes {
			if err := s.catchUp(ctx, mb); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
		}
		s.d.recordContact(s.a.Name)
		// Let go of the state file while waiting, so that `highroad
		// status` can read it.
		s.d.Store.Release()
		if s.selected != s.a.Mailboxes[0] {
			if _, err := s.selectMailbox(s.a.Mailboxes[0]); err != nil {
				return err
			}
		}
		if err := s.waitForMail(ctx); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// waitForMail returns when the selected mailbox may have new mail, when it
// is time for a periodic re-check (some servers silently stop pushing), or
// when ctx is cancelled.
func (s *session) waitForMail(ctx context.Context) error {
	recheck := min(s.d.Timeouts.Recheck, time.Duration(s.a.PollInterval))
	if !s.c.Caps().Has(imap.CapIdle) || !s.a.UseIdle() {
		select {
		case <-ctx.Done():
			return nil
		case <-s.c.Closed():
			return fmt.Errorf("the server closed the connection")
		case <-time.After(time.Duration(s.a.PollInterval)):
		}
		return s.wait(s.c.Noop().Wait)
	}
	var idle interface {
		Close() error
		Wait() error
	}
	err := s.wait(func() (err error) {
		idle, err = s.c.Idle()
		return err
	})
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	timer := time.NewTimer(recheck)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-s.changed:
	case <-timer.C:
	case <-s.c.Closed():
		return fmt.Errorf("the server closed the connection")
	}
	// Ending IDLE waits for the server; on a dead link the watchdog closes
	// the connection and the session reconnects.
	if err := s.wait(idle.Close); err != nil {
		return fmt.Errorf("end idle: %w", err)
	}
	if err := s.wait(idle.Wait); err != nil {
		return fmt.Errorf("end idle: %w", err)
	}
	return nil
}
