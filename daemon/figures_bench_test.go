package daemon_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
	"github.com/highroad/highroad/dovecot"
	"github.com/highroad/highroad/internal/faultproxy"
	"github.com/highroad/highroad/mailutils"
)

// The figures of issue 9's closing note, measured with the daemon's
// default timeouts and an account with every setting at its default but
// the first-run window. Run them one at a time with -benchtime 1x, e.g.
//
//	go test ./daemon -run XXX -bench 'Latency$' -benchtime 1x
//	go test ./daemon -run XXX -bench DovecotStallRecovery -benchtime 1x
//	go test ./daemon -run XXX -bench DovecotIdleCommands -benchtime 1x
//	go test ./daemon -run XXX -bench DovecotHundredK -benchtime 1x -timeout 30m

// defaultsConfig is the configuration text of one account at e, reached
// with tlsMode ("imaps" or "plain"), with the default poll interval,
// IDLE and Drafts.
func defaultsConfig(e endpoint, tlsMode, statePath string) string {
	host, port, _ := strings.Cut(e.addr, ":")
	ca := ""
	if e.caFile != "" {
		ca = "    ca_file: " + e.caFile + "\n"
	}
	return "profile:\n  name: Test User\n  address: test@example.org\n" +
		"state: " + statePath + "\n" +
		"accounts:\n  - name: test\n    server: " + host + "\n    port: " + port + "\n    tls: " + tlsMode + "\n" + ca +
		"    username: " + e.user + "\n    password_env: HIGHROAD_TEST_PASSWORD\n    first_run_window: 3650d\n"
}

// defaultsDaemon returns a daemon with default timeouts for the account at
// e, and its events, in a channel large enough never to block it.
func defaultsDaemon(b testing.TB, e endpoint, tlsMode string) (*daemon.Daemon, chan daemon.Event) {
	b.Helper()
	b.Setenv("HIGHROAD_TEST_PASSWORD", e.password)
	dir := b.TempDir()
	statePath := filepath.Join(dir, "state.db")
	return buildDaemon(b, filepath.Join(dir, "config.yaml"), defaultsConfig(e, tlsMode, statePath), statePath,
		daemon.Timeouts{}, 1000, func(o *daemon.Options) { o.Log = benchLog() })
}

// runBench runs d until the benchmark ends.
func runBench(b *testing.B, d *daemon.Daemon) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
}

// awaitDraft waits for the event of the message whose Message-ID is
// <tag@test.example> (others, such as messages decided again after a
// renumbering, are passed over) and fails unless it was drafted.
func awaitDraft(b *testing.B, events <-chan daemon.Event, tag string, within time.Duration) daemon.Event {
	b.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev := <-events:
			if strings.Trim(ev.MessageID, "<>") != tag+"@test.example" {
				continue
			}
			if !ev.Rejection || ev.DraftID == "" {
				b.Fatalf("event %+v, want %s drafted", ev, tag)
			}
			return ev
		case <-deadline:
			b.Fatalf("%s was not drafted within %v", tag, within)
		}
	}
}

// latency delivers rounds rejections one at a time, a second after the
// draft of the one before, and measures the time from the start of each
// delivery to its draft, and highroad's own share.
//
// The second is the scenario, mail arriving while highroad idles: right
// after a draft, mail can land between the pass's last command and IDLE,
// which the in-memory server reports only when IDLE ends, at the 20 s
// heartbeat (Dovecot reports it as IDLE starts); two of those in a row
// and highroad takes its IDLE for silent and polls every 20 s.
func latency(b *testing.B, rounds int, within time.Duration, deliver func([]byte) error, events <-chan daemon.Event) {
	raw := read(b, mixed[0].path)
	if err := deliver(uniqueID(raw, "warm-up")); err != nil {
		b.Fatal(err)
	}
	awaitDraft(b, events, "warm-up", within)
	var total, own []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < rounds; k++ {
			tag := fmt.Sprintf("lat%d-%d", i, k)
			start := time.Now()
			if err := deliver(uniqueID(raw, tag)); err != nil {
				b.Fatal(err)
			}
			ev := awaitDraft(b, events, tag, within)
			total = append(total, time.Since(start))
			own = append(own, ev.Took)
			time.Sleep(time.Second)
		}
	}
	b.StopTimer()
	reportLatency(b, total, own)
}

func reportLatency(b *testing.B, total, own []time.Duration) {
	b.ReportMetric(float64(len(total)), "deliveries")
	b.ReportMetric(ms(percentile(total, 50)), "median-ms")
	b.ReportMetric(ms(percentile(total, 95)), "p95-ms")
	b.ReportMetric(ms(slices.Max(total)), "max-ms")
	b.ReportMetric(ms(percentile(own, 50)), "own-median-ms")
}

// BenchmarkMemoryLatency is BenchmarkDovecotLatency on go-imap's in-memory
// server (imapmemserver, as demo.Start serves it), over plain TCP.
func BenchmarkMemoryLatency(b *testing.B) {
	srv, err := demo.Start("alex", "s3cret-pass")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	d, events := defaultsDaemon(b, endpoint{addr: srv.Addr, user: srv.User, password: srv.Password}, config.TLSNone)
	runBench(b, d)
	latency(b, 20, time.Minute, func(raw []byte) error { return srv.Deliver("INBOX", raw) }, events)
}

// BenchmarkMailutilsLatency is BenchmarkDovecotLatency on GNU Mailutils
// imap4d, whose IDLE never reports new mail: with the defaults highroad
// finds it with the NOOP after each 20 s heartbeat, then, once it has
// learnt that IDLE is silent, by polling every 20 s (Timeouts.Fallback).
// 20 deliveries take about seven minutes.
func BenchmarkMailutilsLatency(b *testing.B) {
	srv := mailutils.Start(b)
	e := endpoint{srv.Addr, srv.CAFile, srv.User, srv.Password}
	// A message before the start: imap4d gives an empty mbox a UIDVALIDITY
	// that changes with its first message.
	if err := srv.Append("INBOX", uniqueID(read(b, mixed[1].path), "first")); err != nil {
		b.Fatal(err)
	}
	d, events := defaultsDaemon(b, e, config.TLSImplicit)
	runBench(b, d)
	latency(b, 20, 2*time.Minute, func(raw []byte) error { return srv.Append("INBOX", raw) }, events)
}

// BenchmarkDovecotStallRecovery stalls the link while highroad idles on
// Dovecot (nothing closed, nothing forwarded, as a suspended laptop or a
// Wi-Fi handover), delivers a rejection, lets the network come back after
// 5 s and measures the time from then to the draft, with the default
// timeouts, over 5 stalls.
func BenchmarkDovecotStallRecovery(b *testing.B) {
	const stalls, outage = 5, 5 * time.Second
	srv := realServer{dovecot.Start(b)}
	proxy, err := faultproxy.Start(srv.Addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { proxy.Close() })
	e := dovecotEndpoint(srv.Server)
	e.addr = proxy.Addr
	d, events := defaultsDaemon(b, e, config.TLSImplicit)
	runBench(b, d)
	raw := read(b, mixed[0].path)
	srv.deliver(b, uniqueID(raw, "warm-up"))
	awaitDraft(b, events, "warm-up", 30*time.Second)
	var back, whole []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < stalls; k++ {
			tag := fmt.Sprintf("stall%d-%d", i, k)
			stalled := time.Now()
			if n := proxy.Stall(); n != 1 {
				b.Fatalf("Stall() stalled %d connections, want the daemon's one", n)
			}
			srv.deliver(b, uniqueID(raw, tag))
			time.Sleep(time.Until(stalled.Add(outage))) // the outage is the scenario
			resumed := time.Now()
			proxy.Resume()
			awaitDraft(b, events, tag, 10*time.Minute)
			back = append(back, time.Since(resumed))
			whole = append(whole, time.Since(stalled))
			b.Logf("stall %d: drafted %v after the network came back (%v after the stall); %d connections so far",
				k+1, back[len(back)-1].Round(time.Millisecond), whole[len(whole)-1].Round(time.Millisecond), proxy.Accepted())
		}
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(back, 50)), "resume-to-draft-median-ms")
	b.ReportMetric(ms(slices.Max(back)), "resume-to-draft-max-ms")
	b.ReportMetric(float64(proxy.Accepted()-1), "reconnects")
}

// BenchmarkDovecotIdleCommands counts the IMAP commands an idle daemon
// sends Dovecot over 150 s, with the default timeouts, through a plain
// (unencrypted) connection that a proxy reads.
func BenchmarkDovecotIdleCommands(b *testing.B) {
	const window = 150 * time.Second
	srv := realServer{dovecot.Start(b)}
	cp := startCountingProxy(b, srv.PlainAddr)
	d, events := defaultsDaemon(b, endpoint{addr: cp.addr, user: srv.User, password: srv.Password}, config.TLSNone)
	runBench(b, d)
	for _, m := range mixed {
		srv.deliver(b, read(b, m.path))
	}
	for range mixed {
		select {
		case <-events:
		case <-time.After(30 * time.Second):
			b.Fatal("the daemon did not decide the mail within 30 s")
		}
	}
	time.Sleep(2 * time.Second) // let it settle into IDLE
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from := len(cp.sent())
		time.Sleep(window) // the measurement window
		got := cp.sent()[from:]
		counts := map[string]int{}
		for _, v := range got {
			counts[v]++
		}
		b.ReportMetric(float64(len(got))/window.Minutes(), "cmds/min")
		b.Logf("%d commands in %v: %v", len(got), window, counts)
	}
}

// countingProxy forwards plain TCP to a server and records the verbs of
// the commands clients send.
type countingProxy struct {
	addr string
	mu   sync.Mutex
	cmds []string
}

func startCountingProxy(b testing.TB, target string) *countingProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	p := &countingProxy{addr: ln.Addr().String()}
	var conns sync.WaitGroup
	b.Cleanup(func() { ln.Close(); conns.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			conns.Add(2)
			go func() { defer conns.Done(); io.Copy(c, s); c.Close() }()
			go func() { defer conns.Done(); p.watch(io.TeeReader(c, s)); s.Close() }()
			b.Cleanup(func() { c.Close(); s.Close() })
		}
	}()
	return p
}

func (p *countingProxy) watch(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if verb := commandVerb(sc.Text()); verb != "" {
			p.mu.Lock()
			p.cmds = append(p.cmds, verb)
			p.mu.Unlock()
		}
	}
	io.Copy(io.Discard, r)
}

func (p *countingProxy) sent() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.cmds)
}

// BenchmarkDovecotHundredK runs `highroad scan` (the default first-run
// window) over a 100,000-message INBOX on Dovecot, one message in fifty a
// rejection, and reports the binary's peak resident memory and wall time.
// The mail is written straight into the Maildir and indexed by Dovecot
// before the clock starts.
func BenchmarkDovecotHundredK(b *testing.B) {
	const n = 100000
	srv := realServer{dovecot.Start(b)}
	pool := lookAlikes(b)
	rej := read(b, mixed[0].path)
	now := time.Now()
	loadStart := time.Now()
	err := srv.WriteMaildir("INBOX", n, func(i int) ([]byte, time.Time) {
		raw := pool[i%len(pool)]
		if i%50 == 49 {
			raw = rej
		}
		// Ten seconds apart: the oldest is 11.6 days old, in the window.
		return uniqueID(raw, fmt.Sprintf("hk%d", i)), now.Add(-time.Duration(n-i) * 10 * time.Second)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote %d messages into the Maildir in %v", n, time.Since(loadStart).Round(time.Millisecond))
	indexStart := time.Now()
	c, err := srv.Dial()
	if err != nil {
		b.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	c.Close()
	if err != nil || sel.NumMessages != n {
		b.Fatalf("SELECT INBOX: %v messages, %v; want %d", sel, err, n)
	}
	b.Logf("Dovecot indexed them in %v", time.Since(indexStart).Round(time.Millisecond))
	bin := buildHighroadB(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cfgPath := filepath.Join(dir, "config.yaml")
		cfg := strings.Replace(defaultsConfig(dovecotEndpoint(srv.Server), config.TLSImplicit, filepath.Join(dir, "state.db")),
			"    first_run_window: 3650d\n", "", 1)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(bin, "scan", "-config", cfgPath)
		cmd.Env = append(os.Environ(), "HIGHROAD_TEST_PASSWORD="+srv.Password)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = io.Discard, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("highroad scan: %v\n%s", err, out.String())
		}
		wall := time.Since(start)
		rssKB, cpu := usage(cmd.ProcessState)
		box, err := srv.Messages("Drafts")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rssKB)/1024, "peak-rss-MB")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(n)/wall.Seconds(), "msgs/s")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(float64(len(box)), "drafts")
	}
}

// lookAlikes returns the corpus's mail that is not a rejection.
func lookAlikes(b testing.TB) [][]byte {
	var pool [][]byte
	paths, _ := filepath.Glob(corpus + "not-*/*.eml")
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		pool = append(pool, raw)
	}
	if len(pool) == 0 {
		b.Fatal("no look-alikes in the corpus")
	}
	return pool
}

// benchLog is the daemon's log in the figures: on stderr with
// HIGHROAD_BENCH_LOG=1, else nowhere.
func benchLog() *slog.Logger {
	if os.Getenv("HIGHROAD_BENCH_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
