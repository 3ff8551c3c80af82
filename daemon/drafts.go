package daemon

import (
	"bytes"
	"fmt"
	"strconv"

	"bufio"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/textproto"

	"github.com/highroad/highroad/drafts"
	"github.com/highroad/highroad/message"
)

// loadDraftIndex reads, once per connection, which rejections the drafts
// in Drafts answer (their X-Highroad-Rejection headers), so that a draft
// appended before a crash is found again without a search per rejection.
// It leaves the previously selected mailbox selected.
func (s *session) loadDraftIndex() error {
	if s.draftIndex != nil {
		return nil
	}
	back, validity := s.selected, s.validity
	if _, err := s.open(s.drafts, true); err != nil {
		return err
	}
	uids, err := s.search(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: drafts.HeaderRejection, Value: ""}}})
	if err != nil {
		return err
	}
	index := make(map[string]string, len(uids))
	if len(uids) > 0 {
		section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true,
			HeaderFields: []string{drafts.HeaderRejection, "Message-Id"}}
		var bufs []*imapclient.FetchMessageBuffer
		err := s.wait(func() (err error) {
			bufs, err = s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true,
				BodySection: []*imap.FetchItemBodySection{section}}).Collect()
			return err
		})
		if err != nil {
			return fmt.Errorf("fetch from %q: %w", s.drafts, err)
		}
		for _, b := range bufs {
			h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(b.FindBodySection(section))))
			if err != nil {
				continue
			}
			id := message.MessageIDs(h.Get(drafts.HeaderRejection))
			if len(id) == 0 {
				continue
			}
			draft := "uid:" + strconv.FormatUint(uint64(b.UID), 10)
			if ids := message.MessageIDs(h.Get("Message-Id")); len(ids) > 0 {
				draft = ids[0]
			}
			index[id[0]] = draft
		}
	}
	s.draftIndex = index
	if back != "" {
		data, err := s.selectMailbox(back)
		if err != nil {
			return err
		}
		if data.UIDValidity != validity {
			// The UIDs in hand name other messages now: start over.
			return fmt.Errorf("the server renumbered %q", back)
		}
	}
	return nil
}
