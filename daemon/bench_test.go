package daemon_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/dovecot"
)

// Benchmarks against a real Dovecot over loopback. Run them with
//
//	go test ./daemon -run XXX -bench Dovecot -benchtime 1x
//
// They report the figures the daemon is measured by; the time per
// operation that go test prints is the whole setup and says little.

// BenchmarkDovecotLatency measures the delay from the APPEND of a rejection
// into INBOX to its draft in Drafts, with the daemon idling in IDLE and
// its default timeouts, and highroad's own share of it (from the wake-up
// to the draft appended). BenchmarkMemoryLatency and
// BenchmarkMailutilsLatency measure the same on the other servers.
func BenchmarkDovecotLatency(b *testing.B) {
	srv := realServer{dovecot.Start(b)}
	d, events := defaultsDaemon(b, dovecotEndpoint(srv.Server), config.TLSImplicit)
	runBench(b, d)
	latency(b, 50, 30*time.Second, func(raw []byte) error { _, err := srv.Append("INBOX", raw); return err }, events)
}

// BenchmarkDovecotFirstScan measures a first run over a 10,000-message
// INBOX in which one message in fifty is a rejection.
func BenchmarkDovecotFirstScan(b *testing.B) {
	const n = 10000
	srv := realServer{dovecot.Start(b)}
	var pool [][]byte
	for _, m := range mixed {
		if !m.rejection {
			pool = append(pool, read(b, m.path))
		}
	}
	paths, _ := filepath.Glob(corpus + "not-*/*.eml")
	for _, p := range paths {
		raw, _ := os.ReadFile(p)
		pool = append(pool, raw)
	}
	rejection := read(b, mixed[0].path)
	c, err := srv.Dial()
	if err != nil {
		b.Fatal(err)
	}
	loadStart := time.Now()
	for i := 0; i < n; i++ {
		raw := pool[i%len(pool)]
		if i%50 == 49 {
			raw = rejection
		}
		raw = uniqueID(raw, "scan"+strconv.Itoa(i))
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		cmd.Write(raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	b.Logf("loaded %d messages in %v", n, time.Since(loadStart).Round(time.Millisecond))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, events := dovecotDaemon(b, srv.Server)
		done := make(chan struct{})
		var bytes, rejections int
		go func() {
			defer close(done)
			for k := 0; k < n; k++ {
				ev := <-events
				bytes += ev.Bytes
				if ev.Rejection {
					rejections++
				}
			}
		}()
		ctx, cancel := context.WithCancel(context.Background())
		start := time.Now()
		go d.Run(ctx)
		<-done
		elapsed := time.Since(start)
		cancel()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(bytes)/n, "bytes-fetched/msg")
		b.ReportMetric(float64(rejections), "rejections")
	}
}

// BenchmarkDovecotIdle runs the highroad binary against Dovecot, lets it
// settle into IDLE, and measures its resident memory and CPU use over ten
// idle seconds.
func BenchmarkDovecotIdle(b *testing.B) {
	srv := realServer{dovecot.Start(b)}
	for _, m := range mixed {
		srv.deliver(b, read(b, m.path))
	}
	bin := buildHighroadB(b)
	dir := b.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(configFor(srv.Server, filepath.Join(dir, "state.db"))), 0o600)
	cmd := highroadRunB(b, bin, cfgPath, srv.Password)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		box, _ := srv.Messages("Drafts")
		if len(box) == 3 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the daemon did not draft the three rejections")
		}
		time.Sleep(100 * time.Millisecond) // polling the server's state
	}
	time.Sleep(2 * time.Second) // let it settle into IDLE
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cpu0 := cpuTicks(b, cmd.Process.Pid)
		time.Sleep(10 * time.Second) // the measurement window
		cpu1 := cpuTicks(b, cmd.Process.Pid)
		b.ReportMetric(float64(cpu1-cpu0)/100/10*100, "cpu-%")
		b.ReportMetric(float64(rssKB(b, cmd.Process.Pid))/1024, "rss-MB")
	}
}

func cpuTicks(b *testing.B, pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Skip("no /proc: ", err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return utime + stime
}

func rssKB(b *testing.B, pid int) int {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	return 0
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
