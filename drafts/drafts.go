// Package drafts writes the follow-up a thoughtful person sends after a
// rejection: thanks, a sincere request for feedback, the door left open and
// an offer to stay in touch, tailored to the contact, company, role, stage
// and language, threaded to the rejection and ready for IMAP APPEND.
//
// The package is pure: the time and any randomness come from the caller.
package drafts

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/message"
)

// HeaderRejection names the header that ties a draft to the Message-ID of
// the rejection it answers, so that it can be found again.
const HeaderRejection = "X-Highroad-Rejection"

// Profile is the user: who the reply is from and how it is signed.
type Profile struct {
	Name      string
	Address   string
	Signature string
	LinkedIn  string
}

// Options are the inputs of Compose that are not about the message.
type Options struct {
	// Now is the draft's Date.
	Now time.Time
	// MessageID, when set, is used instead of a random identifier.
	MessageID string
	// Templates, when nil, are the embedded ones.
	Templates *Templates
	// RejectionKey names the rejection in HeaderRejection when it has no
	// Message-ID of its own (the daemon makes one up); ignored otherwise.
	RejectionKey string
}

// Reply is a composed draft.
type Reply struct {
	From       message.Address
	To         []message.Address // empty when there is nobody to write to
	Subject    string
	Date       time.Time
	MessageID  string
	InReplyTo  string
	References []string
	Rejection  string // the Message-ID of the rejection, for HeaderRejection
	Language   string
	Stage      classifier.Stage
	Body       string // the reply and the quoted original, "\n" line ends
}

// maxSubject bounds the subject, in characters.
const maxSubject = 200

// maxReferences bounds the References header of long threads.
const maxReferences = 20

// Compose builds the reply to m, classified as res, from the user p.
func Compose(m *message.Message, res *classifier.Result, p Profile, opt Options) (*Reply, error) {
	tmpls := opt.Templates
	if tmpls == nil {
		var err error
		if tmpls, err = LoadTemplates(""); err != nil {
			return nil, err
		}
	}
	from := sender(m, p)
	if from.Addr == "" {
		return nil, errors.New("no address to send from: set profile.address in the config")
	}
	r := &Reply{
		From:      from,
		Subject:   replySubject(m.Subject),
		Date:      opt.Now,
		MessageID: opt.MessageID,
		Language:  res.Language,
		Stage:     res.Stage,
	}
	// The classifier never picks a robot or a malformed address; check
	// again here, where the header is written.
	to := message.Address{Name: field(res.ContactName), Addr: res.ContactAddress}
	if classifier.ValidAddress(to.Addr) && !classifier.IsRobot(to) {
		r.To = []message.Address{to}
	}
	if r.MessageID == "" {
		r.MessageID = newMessageID(from.Domain())
	}
	if m.MessageID != "" {
		r.InReplyTo, r.Rejection = m.MessageID, m.MessageID
		r.References = append(r.References, m.References...)
		if len(r.References) == 0 {
			r.References = append(r.References, m.InReplyTo...) // RFC 5322 3.6.4
		}
		if len(r.References) > maxReferences-1 {
			r.References = append(r.References[:1], r.References[len(r.References)-maxReferences+2:]...)
		}
		r.References = append(r.References, m.MessageID)
	} else if message.ValidMessageID(opt.RejectionKey) {
		r.Rejection = opt.RejectionKey
	}
	body, err := tmpls.Render(res.Language, res.Stage, data(res, p, from))
	if err != nil {
		return nil, err
	}
	r.Body = body + "\n" + quote(m, res.Language)
	return r, nil
}

// sender is the profile's identity, or else the rejection's first recipient.
func sender(m *message.Message, p Profile) message.Address {
	a := message.Address{Name: message.Clean(p.Name), Addr: message.Clean(p.Address)}
	if a.Addr == "" && len(m.To) > 0 {
		a.Addr = m.To[0].Addr
		if a.Name == "" {
			a.Name = m.To[0].Name
		}
	}
	return a
}

func data(res *classifier.Result, p Profile, from message.Address) Data {
	return Data{
		ContactName:  field(res.ContactName),
		ContactFirst: firstName(field(res.ContactName)),
		Company:      field(res.Company),
		Role:         field(res.Role),
		UserName:     from.Name,
		UserFirst:    firstName(from.Name),
		LinkedIn:     message.Clean(p.LinkedIn),
		Signature:    strings.TrimRight(strings.ReplaceAll(p.Signature, "\r\n", "\n"), "\n "),
	}
}

// field makes a value read from the message fit for a template: one clean
// line, and nothing that would look like a template artefact in the draft.
func field(s string) string {
	s = message.Clean(s)
	if strings.Contains(s, "{{") || strings.Contains(s, "}}") || strings.Contains(s, "<no value>") || len(s) > 120 {
		return ""
	}
	return s
}

var honorifics = map[string]bool{"dr": true, "dr.": true, "prof": true, "prof.": true, "mr": true, "mr.": true,
	"mrs": true, "mrs.": true, "ms": true, "ms.": true, "herr": true, "frau": true, "mme": true, "m.": true,
	"sr.": true, "sra.": true, "dhr.": true, "mevr.": true}

func firstName(full string) string {
	for _, w := range strings.Fields(message.Clean(full)) {
		if !honorifics[strings.ToLower(w)] {
			return w
		}
	}
	return ""
}

// replyPrefix matches the reply markers mail clients put before subjects.
var replyPrefix = regexp.MustCompile(`(?i)^\s*(re|aw|antw|sv|vs|r|rv|odp|res)\s*(\[\d+\])?\s*:\s*`)

// replySubject is "Re: " and the subject, with any reply markers it already
// had removed so that they never pile up.
func replySubject(s string) string {
	s = message.Clean(s)
	if r := []rune(s); len(r) > maxSubject {
		s = string(r[:maxSubject]) + "…"
	}
	for {
		t := replyPrefix.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	if s == "" {
		return "Re:"
	}
	return "Re: " + s
}

func newMessageID(domain string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("drafts: no randomness: " + err.Error())
	}
	if domain == "" || !message.ValidMessageID("x@"+domain) {
		domain = "highroad.invalid"
	}
	return "highroad." + hex.EncodeToString(b[:]) + "@" + domain
}

// attributions introduce the quoted original, per language.
var attributions = map[string]struct{ layout, withDate, noDate string }{
	"en": {"Mon, 2 Jan 2006 at 15:04", "On %s, %s wrote:", "%s wrote:"},
	"de": {"02.01.2006 um 15:04", "Am %s schrieb %s:", "%s schrieb:"},
	"fr": {"02/01/2006 à 15:04", "Le %s, %s a écrit :", "%s a écrit :"},
	"es": {"02/01/2006 a las 15:04", "El %s, %s escribió:", "%s escribió:"},
	"nl": {"02-01-2006 om 15:04", "Op %s schreef %s:", "%s schreef:"},
}

// maxQuoted bounds the quoted original.
const maxQuoted = 16 << 10

// quote renders the original below the reply, as mail clients do.
func quote(m *message.Message, lang string) string {
	a, ok := attributions[lang]
	if !ok {
		a = attributions["en"]
	}
	who := m.From.Name
	if who == "" {
		who = m.From.Addr
	}
	var b strings.Builder
	if m.Date.IsZero() {
		fmt.Fprintf(&b, a.noDate, who)
	} else {
		fmt.Fprintf(&b, a.withDate, m.Date.Format(a.layout), who)
	}
	b.WriteByte('\n')
	orig := strings.TrimRight(m.Text, "\n")
	if m.Quoted != "" {
		orig += "\n\n" + strings.TrimRight(m.Quoted, "\n")
	}
	if len(orig) > maxQuoted {
		orig = strings.ToValidUTF8(orig[:maxQuoted], "") + "\n[…]"
	}
	for _, l := range strings.Split(orig, "\n") {
		if l == "" || strings.HasPrefix(l, ">") {
			b.WriteString(">" + l + "\n")
		} else {
			b.WriteString("> " + l + "\n")
		}
	}
	return b.String()
}

// Bytes renders the reply as an RFC 5322 message with CRLF line ends:
// UTF-8 text in quoted-printable, names and subject encoded as needed.
func (r *Reply) Bytes() ([]byte, error) {
	// go-message writes fields in the reverse order of setting them; set
	// them backwards so that the draft reads From, To, Subject first.
	var h gomail.Header
	h.Set("Content-Language", r.Language)
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("MIME-Version", "1.0")
	if r.Rejection != "" {
		h.SetMsgIDList(HeaderRejection, []string{r.Rejection})
	}
	if r.InReplyTo != "" {
		h.SetMsgIDList("References", r.References)
		h.SetMsgIDList("In-Reply-To", []string{r.InReplyTo})
	}
	h.SetMessageID(r.MessageID)
	h.SetSubject(r.Subject)
	h.SetAddressList("To", addrs(r.To))
	h.SetAddressList("From", addrs([]message.Address{r.From}))
	h.SetDate(r.Date)
	var buf bytes.Buffer
	w, err := gomessage.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("write draft: %w", err)
	}
	if _, err := w.Write([]byte(strings.ReplaceAll(r.Body, "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("write draft: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write draft: %w", err)
	}
	return buf.Bytes(), nil
}

func addrs(list []message.Address) []*gomail.Address {
	out := make([]*gomail.Address, 0, len(list))
	for _, a := range list {
		if a.Addr != "" {
			out = append(out, &gomail.Address{Name: message.Clean(a.Name), Address: message.Clean(a.Addr)})
		}
	}
	return out
}
