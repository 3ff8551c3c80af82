package message

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode every charset go-message knows
	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/text/unicode/norm"
)

// EvidenceHeaders are the extra header fields copied into Message.Header,
// by lower-case name.
var EvidenceHeaders = []string{
	"auto-submitted", "precedence", "list-id", "list-unsubscribe",
	"x-auto-response-suppress", "x-mailer",
}

// Parse reads one message from r with DefaultLimits.
func Parse(r io.Reader) (*Message, error) {
	return DefaultLimits.Parse(r)
}

// Parse reads one message from r within the limits l. It returns an error
// only when r holds no readable header; problems further down are recorded
// in Message.Problems. A header go-message cannot read (over 1 MB, broken
// folding) is read again tolerantly, and Problems says so.
func (l Limits) Parse(r io.Reader) (*Message, error) {
	br := bufio.NewReader(r)
	raw, err := readRawHeader(br)
	if err != nil {
		return nil, err
	}
	h, notes, err := parseHeader(raw)
	if err != nil {
		return nil, err
	}
	if h.Len() == 0 {
		return nil, ErrNotMessage
	}
	m := &Message{Header: map[string]string{}}
	for _, n := range notes {
		m.problem(errors.New(n))
	}
	// An unknown charset or encoding still gives a readable entity.
	e, err := gomessage.New(h, br)
	if err != nil {
		m.problem(err)
	}
	decodeHeader(m, gomail.Header{Header: e.Header})
	b := &bodyReader{limits: l, msg: m}
	b.walk(e, 0)
	text := b.plain
	if text == "" && b.html != "" {
		text, m.FromHTML = htmlToText(b.html), true
	}
	m.Text, m.Quoted = splitQuoted(cleanText(text))
	return m, nil
}

func (m *Message) problem(err error) {
	if len(m.Problems) < 16 {
		m.Problems = append(m.Problems, err.Error())
	}
}

func decodeHeader(m *Message, h gomail.Header) {
	m.From = first(addressList(m, h, "From"))
	m.Sender = first(addressList(m, h, "Sender"))
	m.ReplyTo = addressList(m, h, "Reply-To")
	m.To = addressList(m, h, "To")
	m.Cc = addressList(m, h, "Cc")
	m.Subject = headerText(m, h, "Subject")
	if d, err := h.Date(); err == nil {
		m.Date = d
	} else if h.Has("Date") {
		m.problem(fmt.Errorf("date: %w", err))
	}
	m.MessageID = msgID(h.Get("Message-Id"))
	m.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	m.References = msgIDs(h.Get("References"))
	for _, k := range EvidenceHeaders {
		if v := headerText(m, h, k); v != "" {
			m.Header[k] = v
		}
	}
}

// headerText decodes an unstructured field, keeping the raw value when its
// encoded words are broken, and strips control characters so that nothing
// read here can later smuggle a line break into a header we write.
func headerText(m *Message, h gomail.Header, key string) string {
	v, err := h.Text(key)
	if err != nil {
		m.problem(fmt.Errorf("%s: %w", strings.ToLower(key), err))
		v = h.Get(key)
	}
	return Clean(v)
}

func addressList(m *Message, h gomail.Header, key string) []Address {
	if !h.Has(key) {
		return nil
	}
	list, err := h.AddressList(key)
	if err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			out = append(out, Address{Name: Clean(a.Name), Addr: Clean(a.Address)})
		}
		return out
	}
	// Lenient fallback: many senders write addresses net/mail rejects, such
	// as unquoted commas or dots in display names.
	return looseAddresses(headerText(m, h, key))
}

func first(list []Address) Address {
	if len(list) == 0 {
		return Address{}
	}
	return list[0]
}

// looseAddresses finds "Name <addr>" and bare "addr" forms in s.
func looseAddresses(s string) []Address {
	var out []Address
	for _, part := range splitAddressField(s) {
		part = strings.TrimSpace(part)
		if a, err := mail.ParseAddress(part); err == nil {
			out = append(out, Address{Name: Clean(a.Name), Addr: a.Address})
			continue
		}
		lt, gt := strings.LastIndexByte(part, '<'), strings.LastIndexByte(part, '>')
		if lt >= 0 && gt > lt && strings.Contains(part[lt:gt], "@") {
			name := strings.Trim(strings.TrimSpace(part[:lt]), `"' `)
			out = append(out, Address{Name: Clean(name), Addr: Clean(part[lt+1 : gt])})
		} else if strings.Count(part, "@") == 1 && !strings.ContainsAny(part, " \t") {
			out = append(out, Address{Addr: Clean(part)})
		}
	}
	return out
}

// splitAddressField splits on commas that follow a ">" or a bare address.
func splitAddressField(s string) []string {
	var parts []string
	start, inQuote, at := 0, false, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case '@':
			at = true
		case ',':
			if !inQuote && at {
				parts = append(parts, s[start:i])
				start, at = i+1, false
			}
		}
	}
	return append(parts, s[start:])
}

// MessageIDs returns the message identifiers of a header value such as
// References, without angle brackets, keeping only those safe to write
// back into a header.
func MessageIDs(v string) []string { return msgIDs(v) }

func msgID(v string) string {
	ids := msgIDs(v)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// msgIDs extracts "<id>" tokens, keeping only those safe to write back into
// a header: printable ASCII with no spaces or angle brackets.
func msgIDs(v string) []string {
	var ids []string
	for {
		lt := strings.IndexByte(v, '<')
		if lt < 0 {
			break
		}
		gt := strings.IndexByte(v[lt:], '>')
		if gt < 0 {
			break
		}
		if id := v[lt+1 : lt+gt]; ValidMessageID(id) {
			ids = append(ids, id)
		}
		v = v[lt+gt+1:]
	}
	return ids
}

// ValidMessageID reports whether id, given without angle brackets, is a
// plausible message identifier that is safe to write in a header.
func ValidMessageID(id string) bool {
	if len(id) < 3 || len(id) > 250 || !strings.Contains(id, "@") {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Clean makes a one-line header value safe: valid UTF-8, control characters
// and line breaks turned into spaces, runs of spaces folded, ends trimmed.
func Clean(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD"))
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		if invisible(r) {
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// cleanText normalises line endings, drops control characters other than
// tab and newline, and makes the text valid UTF-8.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFC.String(s) // "fu\u0308r" as sent by some clients becomes "für"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case r == '\u00a0':
			b.WriteByte(' ')
		case invisible(r):
		case r == '\n' || !unicode.IsControl(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// bodyReader walks the MIME tree and keeps the first text/plain and the
// first text/html part that are not attachments.
type bodyReader struct {
	limits Limits
	msg    *Message
	parts  int
	plain  string
	html   string
}

func (b *bodyReader) walk(e *gomessage.Entity, depth int) {
	b.parts++
	if b.parts > b.limits.MaxParts || depth > b.limits.MaxDepth {
		return
	}
	mt, _, err := e.Header.ContentType()
	if err != nil && e.Header.Get("Content-Type") != "" {
		b.msg.problem(fmt.Errorf("content-type: %w", err))
	}
	if mt == "" {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		b.walkMultipart(e, depth)
		return
	}
	if disp, _, _ := e.Header.ContentDisposition(); disp == "attachment" {
		return
	}
	switch {
	case mt == "text/plain" && b.plain == "":
		b.plain = b.read(e)
	case mt == "text/html" && b.html == "":
		b.html = b.read(e)
	}
}

func (b *bodyReader) walkMultipart(e *gomessage.Entity, depth int) {
	mr := e.MultipartReader()
	if mr == nil {
		return
	}
	for b.parts <= b.limits.MaxParts {
		p, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if p == nil {
			b.msg.problem(fmt.Errorf("multipart: %w", err))
			return
		}
		if err != nil {
			b.msg.problem(err)
		}
		b.walk(p, depth+1)
	}
}

// read decodes a part's body up to MaxText bytes. A decoding error keeps
// what was read before it.
func (b *bodyReader) read(e *gomessage.Entity) string {
	buf, err := io.ReadAll(io.LimitReader(e.Body, int64(b.limits.MaxText)+1))
	if len(buf) > b.limits.MaxText {
		buf = buf[:b.limits.MaxText]
		b.msg.problem(errors.New("text truncated"))
	}
	if err != nil {
		b.msg.problem(fmt.Errorf("read part: %w", err))
	}
	return string(buf)
}

// invisible reports format characters that show nothing: zero-width spaces
// and joiners, soft hyphens, byte-order marks, and the combining grapheme
// joiner that marketing mail pads its preview text with.
func invisible(r rune) bool {
	switch r {
	case '\u00ad', '\u034f', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2060', '\ufeff':
		return true
	}
	return false
}
