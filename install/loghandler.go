package install

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/kardianos/service"
)

// serviceHandler is a slog.Handler that writes each record as one line,
// "message key=value ...", to a service.Logger (on Windows, the Event Log),
// as an error, a warning or information by the record's level. The time
// and level are left out: the log records them itself.
type serviceHandler struct {
	out   service.Logger
	level slog.Leveler
	text  slog.Handler // formats the attributes into buf
	mu    *sync.Mutex  // guards buf, shared with the handlers derived from this one
	buf   *bytes.Buffer
}

func newServiceHandler(out service.Logger, level slog.Leveler) *serviceHandler {
	buf := new(bytes.Buffer)
	text := slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level, ReplaceAttr: attrsOnly})
	return &serviceHandler{out: out, level: level, text: text, mu: new(sync.Mutex), buf: buf}
}

func attrsOnly(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
		return slog.Attr{}
	}
	return a
}

func (h *serviceHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *serviceHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.buf.Reset()
	err := h.text.Handle(ctx, r)
	attrs := strings.TrimSpace(h.buf.String())
	h.mu.Unlock()
	if err != nil {
		return err
	}
	line := r.Message
	if attrs != "" {
		line += " " + attrs
	}
	switch {
	case r.Level >= slog.LevelError:
		return h.out.Error(line)
	case r.Level >= slog.LevelWarn:
		return h.out.Warning(line)
	}
	return h.out.Info(line)
}

func (h *serviceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.text = h.text.WithAttrs(attrs)
	return &c
}

func (h *serviceHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.text = h.text.WithGroup(name)
	return &c
}
