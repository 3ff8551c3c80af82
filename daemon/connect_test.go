package daemon_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
	"github.com/highroad/highroad/state"
)

// startTLSServer starts imapmemserver behind implicit TLS with a
// self-signed certificate, and returns its address and the certificate's
// file for ca_file.
func startTLSServer(t *testing.T) (addr, caFile string) {
	t.Helper()
	cert, caFile := selfSigned(t)
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("alex", "s3cret-pass")
	for _, mb := range []string{"INBOX", "Drafts"} {
		if err := u.Create(mb, nil); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:   imap.CapSet{imap.CapIMAP4rev1: {}},
		Logger: log.New(io.Discard, "", 0),
	})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), caFile
}

// selfSigned makes a certificate for 127.0.0.1 and writes it to a file.
func selfSigned(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:        true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, path
}

// startGreeter accepts connections, writes greeting on each and holds them
// open, as an SMTP server does.
func startGreeter(t *testing.T, greeting string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.WriteString(c, greeting)
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// mismatchDaemon returns a daemon whose account reaches addr with the given
// TLS mode, with a short greeting timeout and a command timeout far
// longer than any test waits, so that a quick answer cannot come from it.
func mismatchDaemon(t *testing.T, addr, mode, caFile string) *daemon.Daemon {
	t.Helper()
	d, _ := newDaemon(t, &demo.Server{Addr: addr, User: "alex", Password: "s3cret-pass"}, filepath.Join(t.TempDir(), "state.db"))
	a := &d.Config.Accounts[0]
	a.TLS, a.CAFile = mode, caFile
	d.Timeouts.Command = 5 * time.Minute
	d.Timeouts.Greeting = 300 * time.Millisecond
	return d
}

// check runs d.Check, failing the test if it takes more than 10 s.
func check(t *testing.T, d *daemon.Daemon) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := d.Check(context.Background(), &d.Config.Accounts[0])
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Check did not return within 10 s")
		return nil
	}
}

func TestConnectMismatch(t *testing.T) {
	plain := startServer(t).Addr
	imaps, caFile := startTLSServer(t)
	smtp := startGreeter(t, "220 smtp ready\r\n")
	web := httptest.NewServer(nil)
	defer web.Close()
	webAddr := strings.TrimPrefix(web.URL, "http://")
	closed := closedPort(t)

	tlsPort := []string{"expects TLS from the first byte on this port", "set tls: imaps (port 993)", "port 143 with tls: starttls"}
	tests := []struct {
		name, addr, mode string
		contacted        bool // the state records an earlier contact
		want             []string
		permanent        bool
	}{
		{"imaps on a plain port", plain, config.TLSImplicit, false,
			[]string{"speaks plain IMAP on this port, not TLS", "set tls: starttls (usual port 143)", "port 993 with tls: imaps"}, true},
		{"imaps on a plain port that worked before", plain, config.TLSImplicit, true,
			[]string{"speaks plain IMAP on this port, not TLS"}, false},
		{"starttls on an imaps port", imaps, config.TLSStartTLS, false, tlsPort, true},
		{"plain on an imaps port", imaps, config.TLSNone, false, tlsPort, true},
		{"starttls on an imaps port that worked before", imaps, config.TLSStartTLS, true, tlsPort, false},
		{"imaps on an SMTP port", smtp, config.TLSImplicit, false,
			[]string{`does not speak IMAP: it answered "220 smtp ready", like an SMTP`, "check port:"}, true},
		{"starttls on an SMTP port", smtp, config.TLSStartTLS, false,
			[]string{`does not speak IMAP: it answered "220 smtp ready", like an SMTP`, "check port:"}, true},
		{"imaps on a web server", webAddr, config.TLSImplicit, false,
			[]string{"does not speak IMAP", "like a web server", "check port:"}, true},
		{"starttls on a web server", webAddr, config.TLSStartTLS, false,
			[]string{"does not speak IMAP", "like a web server", "check port:"}, true},
		{"closed port", closed, config.TLSImplicit, false,
			[]string{"connection refused: is the server running and the port right?"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mismatchDaemon(t, tt.addr, tt.mode, caFile)
			if tt.contacted {
				d.Store.Record("test", func(a *state.Activity) { a.LastContact = time.Now().Add(-time.Hour) })
			}
			err := check(t, d)
			t.Logf("Check = %v", err)
			if err == nil {
				t.Fatalf("Check(%s to %s) = nil, want an error", tt.mode, tt.name)
			}
			for _, w := range append(tt.want, "connect to "+tt.addr+": ") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check(%s to %s) = %q, want it to say %q", tt.mode, tt.name, err, w)
				}
			}
			if daemon.IsPermanent(err) != tt.permanent {
				t.Errorf("Check(%s to %s): IsPermanent = %v, want %v", tt.mode, tt.name, daemon.IsPermanent(err), tt.permanent)
			}
		})
	}
}

// TestConnectRightMode is the control: the same listeners work when the
// mode matches, so the diagnosis does not get in the way.
func TestConnectRightMode(t *testing.T) {
	imaps, caFile := startTLSServer(t)
	for _, tt := range []struct{ addr, mode string }{
		{imaps, config.TLSImplicit},
		{startServer(t).Addr, config.TLSNone},
	} {
		d := mismatchDaemon(t, tt.addr, tt.mode, caFile)
		if err := check(t, d); err != nil {
			t.Errorf("Check(%s to %s) = %v, want success", tt.mode, tt.addr, err)
		}
	}
}

func TestRunStopsOnTLSMismatch(t *testing.T) {
	d := mismatchDaemon(t, startServer(t).Addr, config.TLSImplicit, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := d.Run(ctx)
	if ctx.Err() != nil {
		t.Fatal("Run kept retrying imaps on a plain port for 10 s, want it to stop")
	}
	if !daemon.IsPermanent(err) || !strings.Contains(err.Error(), "tls: starttls") {
		t.Errorf("Run(imaps on a plain port) = %v, want a permanent error naming tls: starttls", err)
	}
}

// logRecords is a slog handler that sends each record to the test.
type logRecords chan slog.Record

func (h logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h logRecords) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h logRecords) WithGroup(string) slog.Handler            { return h }
func (h logRecords) Handle(_ context.Context, r slog.Record) error {
	select {
	case h <- r.Clone():
	default:
	}
	return nil
}

func attr(r slog.Record, key string) string {
	v := ""
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
		}
		return v == ""
	})
	return v
}

// TestRunRetriesRefused: a server not up yet (a bridge starting after
// highroad) is retried, and the log says whether the account ever worked.
func TestRunRetriesRefused(t *testing.T) {
	for _, tt := range []struct {
		contacted bool
		want      string
	}{
		{false, "cannot connect yet; retrying"},
		{true, "cannot connect; retrying"},
	} {
		d := mismatchDaemon(t, closedPort(t), config.TLSNone, "")
		if tt.contacted {
			d.Store.Record("test", func(a *state.Activity) { a.LastContact = time.Now().Add(-time.Hour) })
		}
		logs := make(logRecords, 100)
		d.Log = slog.New(logs)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		deadline := time.After(10 * time.Second)
		for attempts := 0; attempts < 2; {
			select {
			case r := <-logs:
				if r.Message != tt.want || !strings.Contains(attr(r, "err"), "connection refused: is the server running") {
					t.Fatalf("contacted before = %v: log %q err=%q, want %q with the refusal explained", tt.contacted, r.Message, attr(r, "err"), tt.want)
				}
				attempts++
			case err := <-done:
				t.Fatalf("Run on a refused port = %v, want it to keep retrying", err)
			case <-deadline:
				t.Fatalf("no second attempt logged within 10 s")
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v after cancellation, want nil", err)
		}
	}
}
