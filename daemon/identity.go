package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/highroad/highroad/message"
	"github.com/highroad/highroad/state"
)

// A rejection's identity is the key of its state record and the value of
// the X-Highroad-Rejection header of its draft, always in Message-ID form:
//
//   - its Message-ID, when it has one no other rejection holds;
//   - "<fingerprint>@no-message-id.highroad.invalid" when it has none;
//   - "<fingerprint>.<Message-ID>" when a different rejection already holds
//     its Message-ID (a sender that reuses one), or, when that would be too
//     long for a header, "<fingerprint>@shared-message-id.highroad.invalid".
//
// The fingerprint is a digest of the sender's address, the Date and the
// subject. Which of two rejections sharing a Message-ID keeps the bare
// Message-ID is decided by the state: the first one recorded.
const (
	noIDDomain     = "@no-message-id.highroad.invalid"
	sharedIDDomain = "@shared-message-id.highroad.invalid"
)

// fingerprint is a digest of what tells one rejection from another when
// their Message-IDs do not: sender, date and subject.
func fingerprint(m *message.Message) string {
	h := sha256.Sum256([]byte(m.From.Addr + "\x00" + m.Date.UTC().Format(time.RFC3339) + "\x00" + m.Subject))
	return hex.EncodeToString(h[:16])
}

// rejectionKey is the identity of m when no other rejection holds its
// Message-ID.
func rejectionKey(m *message.Message) string {
	if m.MessageID != "" {
		return m.MessageID
	}
	return fingerprint(m) + noIDDomain
}

// sharedKey is the identity of a rejection whose Message-ID another
// rejection holds.
func sharedKey(fp, messageID string) string {
	if k := fp + "." + messageID; message.ValidMessageID(k) {
		return k
	}
	return fp + sharedIDDomain
}

// sameRejection reports whether the record r is about the rejection m with
// fingerprint fp. Records written before fingerprints were kept are
// compared by the Date they recorded.
func sameRejection(r state.Rejection, fp string, m *message.Message) bool {
	if r.Fingerprint != "" {
		return r.Fingerprint == fp
	}
	return r.Received.Equal(m.Date)
}

// identify returns the state record of the rejection d found in mailbox,
// under the rejection's identity, with what is known of it now filled in;
// a rejection never seen before gets a new record, not yet stored.
func (s *session) identify(mailbox string, d decision) (state.Rejection, error) {
	msg, fp := d.msg, fingerprint(d.msg)
	key := rejectionKey(msg)
	rec, ok, err := s.lookup(key)
	if err != nil {
		return rec, err
	}
	if ok && msg.MessageID != "" && !sameRejection(rec, fp, msg) {
		s.log.Warn("another rejection has the same Message-ID; telling them apart by sender, date and subject",
			"mailbox", mailbox, "uid", uint32(d.m.uid), "message_id", msg.MessageID)
		key = sharedKey(fp, msg.MessageID)
		if rec, _, err = s.lookup(key); err != nil {
			return rec, err
		}
	}
	rec.Account, rec.Mailbox, rec.MessageID, rec.Fingerprint = s.a.Name, mailbox, key, fp
	rec.UID, rec.UIDValidity, rec.Received = uint32(d.m.uid), s.validity, msg.Date
	rec.Company, rec.Role, rec.Contact = d.res.Company, d.res.Role, d.res.ContactName
	return rec, nil
}

func (s *session) lookup(key string) (state.Rejection, bool, error) {
	if s.d.Store == nil { // a dry run without state
		return state.Rejection{}, false, nil
	}
	rec, ok, err := s.d.Store.Rejection(s.a.Name, key)
	if err != nil {
		return rec, false, fmt.Errorf("read state: %w", err)
	}
	return rec, ok, nil
}
