package daemon

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
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

// waitForMail returns when the selected mailbox may have new mail, when a
// pass over every mailbox is due, or when ctx is cancelled, and fails when
// the link is found dead. It waits with IDLE where the server has it and
// has not been caught keeping mail back, by polling otherwise.
func (s *session) waitForMail(ctx context.Context) error {
	every := time.Duration(s.a.PollInterval)
	switch {
	case !s.c.Caps().Has(imap.CapIdle) || !s.a.UseIdle():
		if s.d.idleModes.add(s.a.Name, "polling") == 1 {
			s.log.Info(fmt.Sprintf("no IDLE (the server lacks it or idle is off); polling every %v", every))
		}
		return s.poll(ctx, every)
	case s.d.idleModes.has(s.a.Name, "pushless"):
		return s.poll(ctx, min(every, s.d.Timeouts.Fallback))
	}
	return s.idle(ctx)
}

// poll waits for every, then asks for news with a NOOP that must be
// answered promptly.
func (s *session) poll(ctx context.Context, every time.Duration) error {
	start := s.clockMark()
	select {
	case <-ctx.Done():
		return nil
	case <-s.c.Closed():
		return fmt.Errorf("the server closed the connection")
	case <-time.After(every):
	}
	if err := s.checkClock(start); err != nil {
		return err
	}
	if err := s.waitWithin(s.d.Timeouts.Answer, s.c.Noop().Wait); err != nil {
		return fmt.Errorf("noop: %w", err)
	}
	return nil
}

// idle waits with IDLE, ended every heartbeat to see that the link lives:
// a dead one is noticed within Heartbeat + Answer, not when TCP gives up.
func (s *session) idle(ctx context.Context) error {
	recheck := time.NewTimer(min(s.d.Timeouts.Recheck, time.Duration(s.a.PollInterval)))
	defer recheck.Stop()
	for {
		beat, err := s.idleOnce(ctx, recheck.C)
		if err != nil || !beat {
			return err
		}
		if mail, err := s.heartbeat(); err != nil || mail {
			return err
		}
	}
}

// idleOnce runs one IDLE until news, the heartbeat, the re-check or
// cancellation, and ends it; beat tells that the heartbeat was due.
func (s *session) idleOnce(ctx context.Context, recheck <-chan time.Time) (beat bool, err error) {
	start := s.clockMark()
	var cmd *imapclient.IdleCommand
	err = s.waitWithin(s.d.Timeouts.Answer, func() (err error) {
		cmd, err = s.c.Idle()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("idle: %w", err)
	}
	s.idling.Store(true)
	timer := time.NewTimer(s.d.Timeouts.Heartbeat)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-s.changed:
	case <-recheck:
	case <-timer.C:
		beat = true
	case <-s.c.Closed():
		return false, fmt.Errorf("the server closed the connection")
	}
	s.idling.Store(false)
	if s.pushed.Load() {
		s.d.idleModes.reset(s.a.Name, "kept back")
	}
	if err := s.checkClock(start); err != nil {
		return false, err
	}
	// On a dead link the answer never comes: the watchdog closes the
	// connection and the session reconnects.
	err = s.waitWithin(s.d.Timeouts.Answer, func() error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return cmd.Wait()
	})
	if err != nil {
		return false, fmt.Errorf("end idle: %w", err)
	}
	return beat, nil
}

// heartbeat checks the link between two IDLEs with a NOOP, until IDLE has
// pushed mail on this connection: from then on the answer to ending IDLE
// is check enough. mail tells that news came with these answers: if IDLE
// never pushed, it kept that news back. The second time in a row (once
// could be mail that came just as IDLE ended), the account polls instead.
func (s *session) heartbeat() (mail bool, err error) {
	if !s.pushed.Load() {
		if err := s.waitWithin(s.d.Timeouts.Answer, s.c.Noop().Wait); err != nil {
			return false, fmt.Errorf("heartbeat: %w", err)
		}
	}
	select {
	case <-s.changed:
	default:
		return false, nil
	}
	if !s.pushed.Load() && s.d.idleModes.add(s.a.Name, "kept back") == 2 {
		s.d.idleModes.add(s.a.Name, "pushless")
		every := min(time.Duration(s.a.PollInterval), s.d.Timeouts.Fallback)
		s.log.Warn(fmt.Sprintf("the server's IDLE does not report new mail; polling every %v", every))
	}
	return true, nil
}

// grew is the push handler's part for EXISTS; it runs on the reader
// goroutine.
func (s *session) grew() {
	if s.idling.Load() {
		s.pushed.Store(true)
	}
	s.signal()
}

// clockJump is how far the wall clock may run ahead of the monotonic one
// between two looks before the machine is taken to have slept.
const clockJump = 10 * time.Second

// clockMark is a reading of both clocks: the monotonic one stops while the
// machine sleeps (suspend), the wall clock does not.
type clockMark struct{ mono, wall time.Time }

func (s *session) clockMark() clockMark { return clockMark{time.Now(), s.d.now().Round(0)} }

// checkClock fails when the machine slept since m: whatever state the link
// seems in, the server has likely dropped it, and waiting for answers on
// it would only delay the new connection. The connection is closed at once.
func (s *session) checkClock(m clockMark) error {
	jump := s.d.now().Round(0).Sub(m.wall) - time.Since(m.mono)
	if jump < clockJump {
		return nil
	}
	s.c.Close()
	return fmt.Errorf("the wall clock jumped %v ahead (the machine slept?)", jump.Round(time.Second))
}

// idleModes remembers, per account and across connections, what was
// learnt of its server: counts of events by name. Safe for concurrent use.
type idleModes struct {
	mu     sync.Mutex
	counts map[string]int
}

// add counts one more what for account and returns the count.
func (m *idleModes) add(account, what string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[account+"\x00"+what]++
	return m.counts[account+"\x00"+what]
}

func (m *idleModes) has(account, what string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[account+"\x00"+what] > 0
}

func (m *idleModes) reset(account, what string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.counts, account+"\x00"+what)
}
