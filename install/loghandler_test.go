package install

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
)

// eventLog is a service.Logger that keeps what it is sent, as the Windows
// Event Log would: kind and text.
type eventLog struct{ got []string }

func (l *eventLog) add(kind string, v ...any) error {
	l.got = append(l.got, kind+": "+fmt.Sprint(v...))
	return nil
}
func (l *eventLog) Error(v ...any) error   { return l.add("error", v...) }
func (l *eventLog) Warning(v ...any) error { return l.add("warning", v...) }
func (l *eventLog) Info(v ...any) error    { return l.add("info", v...) }
func (l *eventLog) Errorf(f string, a ...any) error {
	return l.add("error", fmt.Sprintf(f, a...))
}
func (l *eventLog) Warningf(f string, a ...any) error {
	return l.add("warning", fmt.Sprintf(f, a...))
}
func (l *eventLog) Infof(f string, a ...any) error { return l.add("info", fmt.Sprintf(f, a...)) }

func TestServiceHandler(t *testing.T) {
	events := &eventLog{}
	log := slog.New(newServiceHandler(events, slog.LevelInfo))
	log.Debug("not at info level")
	log.Info("highroad started", "accounts", 2)
	acct := log.With("account", "work")
	acct.Warn("reconnecting", "err", "connection reset by peer")
	acct.WithGroup("imap").Error("login refused", "mailbox", "INBOX")
	log.Log(context.Background(), slog.LevelError+4, "beyond error")
	want := []string{
		"info: highroad started accounts=2",
		`warning: reconnecting account=work err="connection reset by peer"`,
		"error: login refused account=work imap.mailbox=INBOX",
		"error: beyond error",
	}
	if fmt.Sprint(events.got) != fmt.Sprint(want) {
		t.Errorf("the service logger got\n%q\nwant\n%q", events.got, want)
	}
}
