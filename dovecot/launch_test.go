package dovecot

import (
	"errors"
	"net"
	"os"
	"testing"
)

func TestFatalLine(t *testing.T) {
	tests := []struct {
		log, want string
	}{
		{"", ""},
		{"Nov 22 04:37:24 master: Info: Dovecot v2.3.19.1 starting up\n", ""},
		{"a: Info: x\nNov 22 04:37:24 anvil: Fatal: chroot(/tmp/dc1/run/empty) failed: Operation not permitted\nb: Fatal: later\n",
			"dovecot: Nov 22 04:37:24 anvil: Fatal: chroot(/tmp/dc1/run/empty) failed: Operation not permitted"},
	}
	for _, tt := range tests {
		got := ""
		if err := fatalLine([]byte(tt.log)); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("fatalLine(%q) = %q, want %q", tt.log, got, tt.want)
		}
	}
}

func TestLaunchPortTaken(t *testing.T) {
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	s, err := setup(Options{})
	if err != nil {
		t.Fatalf("setup() = %v", err)
	}
	defer os.RemoveAll(s.Dir)
	if err := s.choosePorts(); err != nil {
		t.Fatal(err)
	}
	taken, err := net.Listen("tcp", s.PlainAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	if err := s.writeConfig(); err != nil {
		t.Fatal(err)
	}
	err = s.launch()
	if err == nil {
		s.Stop()
		t.Fatalf("launch() with %s taken succeeded", s.PlainAddr)
	}
	if !errors.Is(err, errPortTaken) {
		t.Errorf("launch() with %s taken = %v, want errPortTaken\n%s", s.PlainAddr, err, s.Log())
	}
}
