package message

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// Bounds on the header block. go-message reads at most 1 MB of header;
// a header over that is read tolerantly, keeping the fields that matter.
const (
	maxHeader    = 1 << 20       // the most handed to go-message
	maxRawHeader = 8 << 20       // the most read at all; the rest of a bigger header is skipped
	maxRawLine   = maxHeader + 1 // the most kept of one line: the rest is skipped
	maxField     = 32 << 10
	fieldBudget  = 900 << 10 // what the tolerant read keeps, below maxHeader
)

// rawHeader is a header block as read, one entry per line, without line
// endings. It is only ever an in-memory copy: the mail itself is not touched.
type rawHeader struct {
	lines   [][]byte
	size    int
	skipped bool // the header was longer than maxRawHeader
}

// readRawHeader reads lines up to the blank line that ends the header,
// however long each is, keeping at most maxRawLine bytes of each and
// maxRawHeader in all.
func readRawHeader(br *bufio.Reader) (*rawHeader, error) {
	h := &rawHeader{}
	for {
		l, err := readLine(br, min(maxRawLine, maxRawHeader-h.size))
		if l.n == 0 && (err != nil || l.ended) {
			switch {
			case err != nil && len(h.lines) == 0:
				return nil, ErrNotMessage
			case err != nil && !errors.Is(err, io.EOF):
				return nil, fmt.Errorf("read header: %w", err)
			}
			return h, nil // a blank line, or the end of a header-only message
		}
		h.skipped = h.skipped || len(l.b) < l.n
		if len(l.b) > 0 {
			h.lines = append(h.lines, l.b)
			h.size += len(l.b) + 2
		}
		if err != nil {
			return h, nil
		}
	}
}

// line is one line of input without its line ending: b holds at most the
// budget, n is how long it was.
type line struct {
	b     []byte
	n     int
	ended bool // a line ending was read
}

// readLine reads one line of any length, keeping at most budget bytes of it.
func readLine(br *bufio.Reader, budget int) (line, error) {
	var l line
	for {
		chunk, err := br.ReadSlice('\n')
		if err != bufio.ErrBufferFull {
			if n := len(chunk); n > 0 && chunk[n-1] == '\n' {
				l.ended = true
				chunk = bytes.TrimRight(chunk, "\r\n")
			}
		}
		l.n += len(chunk)
		l.b = append(l.b, chunk[:min(len(chunk), max(budget-len(l.b), 0))]...)
		if err != bufio.ErrBufferFull {
			if l.ended {
				l.b = bytes.TrimRight(l.b, "\r") // a CR LF split across two reads
			}
			return l, err
		}
	}
}

// parseHeader reads the header as it is, and when go-message cannot read
// it, once more tolerantly. notes say what was left out or repaired.
func parseHeader(h *rawHeader) (gomessage.Header, []string, error) {
	hdr, dropped, err := h.strict()
	var notes []string
	if dropped > 0 {
		notes = append(notes, fmt.Sprintf("%d malformed header lines ignored", dropped))
	}
	if err == nil {
		var th textproto.Header
		if th, err = textproto.ReadHeader(bufio.NewReader(bytes.NewReader(hdr))); err == nil {
			return gomessage.Header{Header: th}, notes, nil
		}
	}
	hdr, repaired := h.tolerant()
	th, err2 := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(hdr)))
	if err2 != nil {
		return gomessage.Header{}, nil, fmt.Errorf("read header: %w (and read tolerantly: %v)", err, err2)
	}
	notes = append([]string{fmt.Sprintf("header read tolerantly (%v): %s", err, repaired)}, notes...)
	return gomessage.Header{Header: th}, notes, nil
}

// strict returns the header block with the lines that are neither a field
// nor a continuation (an mbox "From " line, a broken line) left out: one
// bad line must not make the whole message unreadable.
func (h *rawHeader) strict() (header []byte, dropped int, err error) {
	if h.skipped || h.size > maxHeader {
		return nil, 0, errors.New("the header is larger than 1 MB")
	}
	var b bytes.Buffer
	for _, l := range h.lines {
		if isContinuation(l) || isField(l) {
			b.Write(l)
			b.WriteString("\r\n")
		} else {
			dropped++
		}
	}
	b.WriteString("\r\n")
	return b.Bytes(), dropped, nil
}

// field is one header field, unfolded.
type field struct {
	line []byte // "Key: value"
	keep bool   // one highroad reads
}

// tolerant rebuilds the header go-message could not read: continuation
// lines before the first field are dropped, a line without a field name is
// taken as a continuation (folding without the leading space), each field
// is unfolded and cut to maxField bytes, and the fields highroad reads are
// kept first within fieldBudget. repaired says what was done.
func (h *rawHeader) tolerant() (header []byte, repaired string) {
	fields, stats := h.fields()
	total := 0
	for i := range fields {
		if fields[i].keep {
			total += len(fields[i].line) + 2
		}
	}
	var b bytes.Buffer
	for _, f := range fields {
		if !f.keep {
			if total+len(f.line)+2 > fieldBudget {
				stats.dropped++
				continue
			}
			total += len(f.line) + 2
		}
		b.Write(f.line)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes(), stats.String()
}

type repairStats struct{ cut, joined, dropped int }

func (s repairStats) String() string {
	return fmt.Sprintf("%d long fields shortened, %d broken folds joined, %d lines or fields dropped", s.cut, s.joined, s.dropped)
}

// fields groups the lines into unfolded fields.
func (h *rawHeader) fields() ([]field, repairStats) {
	var fields []field
	var stats repairStats
	var cur []byte
	flush := func() {
		if cur != nil {
			fields = append(fields, newField(cur, &stats))
		}
	}
	for _, l := range h.lines {
		switch {
		case isField(l) && !isContinuation(l):
			flush()
			cur = append([]byte(nil), l...)
		case cur == nil:
			stats.dropped++
		default:
			if !isContinuation(l) {
				stats.joined++
			}
			// Bound the copy as it grows: a field is cut to maxField anyway.
			if len(cur) < 2*maxField {
				cur = append(append(cur, ' '), bytes.TrimLeft(l, " \t")...)
			}
		}
	}
	flush()
	return fields, stats
}

func newField(l []byte, stats *repairStats) field {
	name, _, _ := bytes.Cut(l, []byte(":"))
	f := field{line: l, keep: readField[strings.ToLower(string(bytes.TrimSpace(name)))]}
	if len(l) > maxField {
		f.line = shorten(l, maxField)
		stats.cut++
	}
	return f
}

// readField are the fields highroad reads, kept first when a header must
// be shortened.
var readField = map[string]bool{
	"from": true, "sender": true, "reply-to": true, "to": true, "cc": true, "subject": true,
	"date": true, "message-id": true, "in-reply-to": true, "references": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"content-disposition": true,
	"auto-submitted":      true, "precedence": true, "list-id": true, "list-unsubscribe": true,
	"x-auto-response-suppress": true, "x-mailer": true,
}

// shorten keeps the start and the end of a long field, cut at spaces, so
// that an address or message identifier is kept whole or not at all: the
// first and last References, the first and last recipients.
func shorten(l []byte, n int) []byte {
	head, tail := l[:n/2], l[len(l)-n/2:]
	if i := bytes.LastIndexAny(head, " \t"); i > 0 {
		head = head[:i]
	}
	if i := bytes.IndexAny(tail, " \t"); i >= 0 {
		tail = tail[i+1:]
	}
	out := make([]byte, 0, len(head)+len(tail)+1)
	return append(append(append(out, head...), ' '), tail...)
}

func isContinuation(l []byte) bool {
	return len(l) > 0 && (l[0] == ' ' || l[0] == '\t')
}

// isField reports whether line starts with a field name and a colon.
func isField(line []byte) bool {
	for i, c := range line {
		switch {
		case c == ':':
			return i > 0
		case c <= ' ' || c >= 0x7f:
			return false
		}
	}
	return false
}
