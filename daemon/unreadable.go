package daemon

import (
	"github.com/highroad/highroad/state"
)

// recordUnreadable keeps a message that could not be read, even
// tolerantly, in the state for highroad status: it may be a rejection,
// and must not be missed silently. A failed write is logged, not fatal:
// the message is passed over either way.
func (s *session) recordUnreadable(mailbox string, m fetched, reason error) {
	if s.d.DryRun || s.d.Store == nil {
		return
	}
	err := s.d.Store.PutUnreadable(state.Unreadable{Account: s.a.Name, Mailbox: mailbox,
		UIDValidity: s.validity, UID: uint32(m.uid), Size: m.size, Reason: reason.Error(), Found: s.d.now()})
	if err != nil {
		s.log.Error("could not record an unreadable message", "mailbox", mailbox, "uid", uint32(m.uid), "err", err)
	}
}
