package daemon_test

import (
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/highroad/highroad/daemon"
)

// awaitLog waits for a log record whose message contains text, and
// returns it.
func awaitLog(t *testing.T, logs logRecords, text string) slog.Record {
	t.Helper()
	deadline := time.After(10 * time.Second)
	var seen []string
	for {
		select {
		case r := <-logs:
			if strings.Contains(r.Message, text) {
				return r
			}
			seen = append(seen, r.Message)
		case <-deadline:
			t.Fatalf("no log record %q within 10 s; saw %q", text, seen)
		}
	}
}

// TestIdleThatNeverPushes: on a server whose IDLE never reports new mail
// (Cyrus without idled, Courier without FAM), the heartbeat finds the
// mail, the account switches to polling and says so once (issue 9, item
// 8). Timeouts are shortened 100-fold: the default heartbeat of 20 s
// becomes 200 ms.
func TestIdleThatNeverPushes(t *testing.T) {
	srv := startFaultServer(t, &faults{quietIdle: true})
	p := startProxy(t, srv.Addr)
	logs := make(logRecords, 1000)
	const heartbeat = 200 * time.Millisecond
	d, events := newDaemon(t, p.server(srv), filepath.Join(t.TempDir(), "state.db"), func(o *daemon.Options) {
		o.Log = slog.New(logs)
		o.Timeouts.Heartbeat, o.Timeouts.Answer, o.Timeouts.Fallback = heartbeat, 2*time.Second, heartbeat
		o.Timeouts.Recheck = time.Hour // only the heartbeat can find the mail
	})
	deliverAll(t, srv, mixed[1:2])
	startDaemon(t, d)
	await(t, events, 1)
	p.await("IDLE", 1, 5*time.Second)

	delivered := time.Now()
	deliverAll(t, srv, mixed[0:1])
	await(t, events, 1)
	took := time.Since(delivered)
	t.Logf("mail handled %v after delivery on a server whose IDLE never pushes (heartbeat %v)", took.Round(time.Millisecond), heartbeat)
	if bound := heartbeat + time.Second; took > bound {
		t.Errorf("mail handled %v after delivery, want within %v (heartbeat + 1 s)", took, bound)
	}
	// Once could be mail that came just as IDLE ended; twice is a pattern.
	p.await("IDLE", p.count("IDLE")+1, 5*time.Second) // delivered during an IDLE
	delivered = time.Now()
	deliverAll(t, srv, mixed[3:4])
	await(t, events, 1)
	t.Logf("second mail handled %v after delivery", time.Since(delivered).Round(time.Millisecond))
	awaitLog(t, logs, "the server's IDLE does not report new mail; polling every 200ms")

	idles := p.count("IDLE")
	delivered = time.Now()
	deliverAll(t, srv, mixed[2:3])
	await(t, events, 1)
	t.Logf("next mail handled %v after delivery, by polling", time.Since(delivered).Round(time.Millisecond))
	if n := p.count("IDLE"); n != idles {
		t.Errorf("the daemon sent IDLE %d more times after switching to polling", n-idles)
	}
}

// TestStalledLinkIsReplaced: a connection that stops forwarding without
// closing (a NAT that dropped its mapping, a suspended laptop) is noticed
// by the heartbeat and replaced, and mail delivered after the stall is
// handled (issue 9, item 8: it waited up to 5 min 41 s).
func TestStalledLinkIsReplaced(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.Addr)
	const heartbeat, answer = 300 * time.Millisecond, 500 * time.Millisecond
	d, events := newDaemon(t, p.server(srv), filepath.Join(t.TempDir(), "state.db"), func(o *daemon.Options) {
		o.Timeouts.Heartbeat, o.Timeouts.Answer, o.Timeouts.Recheck = heartbeat, answer, time.Hour
	})
	deliverAll(t, srv, mixed[1:2])
	startDaemon(t, d)
	await(t, events, 1)
	p.await("IDLE", 1, 5*time.Second)

	p.stall()
	stalled := time.Now()
	deliverAll(t, srv, mixed[0:1])
	ev := await(t, events, 1)[0]
	took := time.Since(stalled)
	t.Logf("mail handled %v after the link stalled (heartbeat %v, answer within %v)", took.Round(time.Millisecond), heartbeat, answer)
	if bound := heartbeat + answer + d.Timeouts.BackoffMax + time.Second; took > bound {
		t.Errorf("mail handled %v after the stall, want within %v", took, bound)
	}
	if !ev.Rejection || ev.DraftID == "" || p.connections() != 2 {
		t.Errorf("event = %+v over %d connections, want the rejection drafted over a second connection", ev, p.connections())
	}
}

// TestClockJumpReconnects: after the machine slept (the wall clock ran
// ahead of the monotonic one), the connection is replaced at the next
// heartbeat rather than trusted.
func TestClockJumpReconnects(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.Addr)
	logs := make(logRecords, 1000)
	var slept atomic.Int64
	d, events := newDaemon(t, p.server(srv), filepath.Join(t.TempDir(), "state.db"), func(o *daemon.Options) {
		o.Log = slog.New(logs)
		o.Now = func() time.Time { return time.Now().Add(time.Duration(slept.Load())) }
		o.Timeouts.Heartbeat, o.Timeouts.Recheck = 200*time.Millisecond, time.Hour
	})
	deliverAll(t, srv, mixed[1:2])
	startDaemon(t, d)
	await(t, events, 1)
	p.await("IDLE", 1, 5*time.Second)

	slept.Store(int64(time.Hour))
	r := awaitLog(t, logs, "connection lost")
	if err := attr(r, "err"); !strings.Contains(err, "clock jumped") {
		t.Errorf("reconnected because %q, want the clock jump named", err)
	}
	p.await("LOGIN", 2, 5*time.Second)
	deliverAll(t, srv, mixed[0:1])
	if ev := await(t, events, 1)[0]; !ev.Rejection || ev.DraftID == "" {
		t.Errorf("event = %+v, want the rejection drafted after reconnecting", ev)
	}
}

// TestIdleDaemonCommands counts what an idle daemon sends per heartbeat,
// with the re-check of every mailbox scaled like the heartbeat: at most 3
// (DONE, NOOP, IDLE) until IDLE has pushed mail, 2 (DONE, IDLE) after,
// which the test logs but cannot assert: at this scale the mail may come
// between two IDLEs.
func TestIdleDaemonCommands(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.Addr)
	d, events := newDaemon(t, p.server(srv), filepath.Join(t.TempDir(), "state.db"))
	def := d.Timeouts // New applied the default heartbeat
	d.Timeouts.Heartbeat = def.Heartbeat / 200
	// The default re-check, 5 min, is 15 default heartbeats.
	d.Timeouts.Recheck = 15 * d.Timeouts.Heartbeat
	deliverAll(t, srv, mixed[1:2])
	startDaemon(t, d)
	await(t, events, 1)
	p.await("IDLE", 1, 5*time.Second)
	countIdle(t, p, d.Timeouts.Heartbeat, def, 3)

	deliverAll(t, srv, mixed[3:4]) // pushed by IDLE: the NOOP is left out from now on
	await(t, events, 1)
	p.await("IDLE", p.count("IDLE")+1, 5*time.Second)
	countIdle(t, p, d.Timeouts.Heartbeat, def, 3)
}

// countIdle counts the commands over 20 heartbeats, and fails if there are
// more than perBeat each (give or take the re-checks) or if the heartbeats
// came faster than they should.
func countIdle(t *testing.T, p *proxy, heartbeat time.Duration, def daemon.Timeouts, perBeat int) {
	t.Helper()
	const beats = 20
	from, idles, start := len(p.sent()), p.count("IDLE"), time.Now()
	p.await("IDLE", idles+beats, 10*time.Second)
	took, window := time.Since(start), p.sent()[from:]
	perMinute := float64(len(window)) / beats * float64(time.Minute/def.Heartbeat)
	t.Logf("%d commands over %d heartbeats: %.1f a minute at the default heartbeat of %v (%v)", len(window), beats, perMinute, def.Heartbeat, window[:min(len(window), 12)])
	if len(window) > perBeat*beats+2 {
		t.Errorf("an idle daemon sent %d commands over %d heartbeats, want at most %d each: %v", len(window), beats, perBeat, window)
	}
	// A re-check may cut one heartbeat short.
	if took < (beats-2)*heartbeat {
		t.Errorf("%d heartbeats took %v, want at least %v each", beats, took, heartbeat)
	}
}
