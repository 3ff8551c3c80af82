// Package message turns a raw RFC 5322 message into the few fields highroad
// reasons about: addresses, subject, thread identifiers and readable text,
// with the quoted earlier conversation kept apart from the new text.
//
// Parsing is forgiving where mail in the wild is sloppy (unknown charsets,
// broken parts, HTML-only bodies) and returns an error only when the input is
// not a message at all. It never panics on any input.
package message

import (
	"errors"
	"strings"
	"time"
)

// Address is a mailbox: a display name, possibly empty, and an address.
type Address struct {
	Name string
	Addr string
}

// String formats the address for humans, as "Name <addr>" or "addr".
func (a Address) String() string {
	if a.Name == "" {
		return a.Addr
	}
	return a.Name + " <" + a.Addr + ">"
}

// Domain returns the lower-cased part of the address after the last "@".
func (a Address) Domain() string {
	i := strings.LastIndexByte(a.Addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(a.Addr[i+1:])
}

// Local returns the lower-cased part of the address before the last "@".
func (a Address) Local() string {
	i := strings.LastIndexByte(a.Addr, '@')
	if i < 0 {
		return strings.ToLower(a.Addr)
	}
	return strings.ToLower(a.Addr[:i])
}

// Message is a parsed message. Every string is valid UTF-8 and free of
// control characters except "\n" in Text and Quoted.
type Message struct {
	From    Address
	Sender  Address
	ReplyTo []Address
	To      []Address
	Cc      []Address
	Subject string
	Date    time.Time // zero when absent or unreadable

	// MessageID, InReplyTo and References hold message identifiers without
	// angle brackets.
	MessageID  string
	InReplyTo  []string
	References []string

	// Header holds the few other header fields that carry evidence, keyed by
	// lower-case name: auto-submitted, precedence, list-id, list-unsubscribe,
	// x-auto-response-suppress, x-mailer.
	Header map[string]string

	// Text is the readable new text of the message: text/plain preferred,
	// HTML converted to text when that is all there is.
	Text string
	// Quoted is the earlier conversation quoted below or inside the new text.
	Quoted string
	// FromHTML reports whether Text was converted from HTML.
	FromHTML bool

	// Problems lists what could not be read cleanly but did not stop
	// parsing, such as an unknown charset or a truncated part.
	Problems []string
}

// Limits bounds the work Parse does on one message.
type Limits struct {
	// MaxText is the most bytes of decoded text kept from the chosen part.
	MaxText int
	// MaxParts is the most MIME parts visited.
	MaxParts int
	// MaxDepth is the deepest multipart nesting visited.
	MaxDepth int
}

// DefaultLimits are the limits Parse uses.
var DefaultLimits = Limits{MaxText: 256 << 10, MaxParts: 64, MaxDepth: 8}

// ErrNotMessage reports input that has no header fields at all.
var ErrNotMessage = errors.New("not a mail message: no header fields")
