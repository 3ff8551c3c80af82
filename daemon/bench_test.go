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

	"github.com/highroad/highroad/dovecot"
)

// Benchmarks against a real Dovecot over loopback. Run them with
//
//	go test ./daemon -run XXX -bench Dovecot -benchtime 1x
//
// They report the figures the daemon is measured by; the time per
// operation that go test prints is the whole setup and says little.

// BenchmarkDovecotLatency measures the delay from the APPEND of a rejection
// into INBOX to its draft in Drafts, with the daemon idling in IDLE, and
// highroad's own share of it (from the wake-up to the draft appended).
func BenchmarkDovecotLatency(b *testing.B) {
	srv := realServer{dovecot.Start(b)}
	d, events := dovecotDaemon(b, srv.Server)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)
	raw := read(b, mixed[0].path)
	srv.deliver(b, uniqueID(raw, "warm-up"))
	<-events
	const rounds = 50
	var total, own []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < rounds; k++ {
			msg := uniqueID(raw, fmt.Sprintf("lat%d-%d", i, k))
			start := time.Now()
			srv.deliver(b, msg)
			ev := <-events
			if !ev.Rejection || ev.DraftID == "" {
				b.Fatalf("event %+v, want a drafted rejection", ev)
			}
			total = append(total, time.Since(start))
			own = append(own, ev.Took)
		}
	}
	b.ReportMetric(ms(percentile(total, 50)), "median-ms")
	b.ReportMetric(ms(percentile(total, 95)), "p95-ms")
	b.ReportMetric(ms(percentile(own, 50)), "own-median-ms")
	b.ReportMetric(ms(percentile(own, 95)), "own-p95-ms")
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
