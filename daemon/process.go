package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/drafts"
	"github.com/highroad/highroad/message"
	"github.com/highroad/highroad/state"
)

// catchUp handles every message of mailbox that arrived since the last
// pass, and tries again the drafts the server refused. On the first pass,
// and after the server renumbered the mailbox (UIDVALIDITY changed), the
// mail since the first-run cutoff is considered; mail from before the
// cutoff is never answered (see cutoff.go).
func (s *session) catchUp(ctx context.Context, mailbox string) error {
	s.passStart = time.Now()
	if err := s.loadCutoff(); err != nil {
		return err
	}
	woken := len(s.changed) > 0
	data, err := s.selectMailbox(mailbox)
	if err != nil {
		return err
	}
	s.validity = data.UIDValidity
	if data.UIDNext > 0 {
		// This pass covers every UID below UIDNEXT: the wake-up its SELECT
		// raised would only cost another pass, and selecting the mailbox
		// again during it (after a look in Drafts) brings no news.
		if !woken {
			select {
			case <-s.changed:
			default:
			}
		}
		s.lastUID[mailbox] = max(s.lastUID[mailbox], uint32(data.UIDNext)-1)
	}
	prog, known, err := s.d.Store.Progress(s.a.Name, mailbox)
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	var uids []imap.UID
	if known && prog.UIDValidity == data.UIDValidity {
		uids, err = s.newUIDs(data, imap.UID(prog.LastUID))
	} else {
		if known {
			s.log.Warn("the server renumbered the mailbox; re-checking the mail since the first-run cutoff", "mailbox", mailbox)
		}
		// SINCE compares dates only, in the server's time zone: a day more
		// makes sure the search holds every message after the cutoff, and
		// decide passes over the few before it.
		if uids, err = s.since(s.cutoff.Add(-24 * time.Hour)); err != nil {
			return err
		}
		// Mail older than the cutoff counts as handled; the later mail is
		// handled in UID order, each recorded as it is done. Mail above
		// LastUID that arrived before the cutoff (the cutoff is compared
		// by the second, SEARCH SINCE by the day; old mail moved in) is
		// passed over in decide.
		prog = state.Progress{UIDValidity: data.UIDValidity}
		switch {
		case len(uids) > 0:
			prog.LastUID = uint32(uids[0]) - 1
		case data.UIDNext > 0:
			prog.LastUID = uint32(data.UIDNext) - 1
		}
		if err := s.saveProgress(mailbox, prog); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	for len(uids) > 0 && ctx.Err() == nil {
		n := min(batch, len(uids))
		if err := s.handleBatch(ctx, mailbox, uids[:n], &prog); err != nil {
			return err
		}
		uids = uids[n:]
	}
	if err := s.retryWaiting(ctx, mailbox); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	// Every UID below UIDNEXT was assigned before the SELECT, and all that
	// still exist have been handled: the rest were expunged unseen. Passing
	// over them keeps open() from taking the gap for new mail again.
	if data.UIDNext > 0 {
		prog.LastUID = max(prog.LastUID, uint32(data.UIDNext)-1)
	}
	prog.Scanned = s.d.now()
	s.lastUID[mailbox] = prog.LastUID
	return s.saveProgress(mailbox, prog)
}

func (s *session) saveProgress(mailbox string, p state.Progress) error {
	if s.d.DryRun {
		return nil
	}
	if err := s.d.Store.SetProgress(s.a.Name, mailbox, p); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// handleBatch handles one FETCH's worth of messages and then records the
// progress and counts: one state write per batch, not per message. A crash
// in between only means those messages are looked at again, and a rejection
// among them finds its draft already in Drafts. Messages are parsed and
// classified as they stream in; the rejections are acted on once the FETCH
// is over, since no other command can be answered before it is.
func (s *session) handleBatch(ctx context.Context, mailbox string, uids []imap.UID, prog *state.Progress) error {
	// Let go of the state file between batches too, so that `highroad
	// status` answers while a long pass or a scan runs.
	defer s.d.Store.Release()
	var rejections []decision
	var others []Event
	err := s.fetch(uids, func(m fetched) {
		d := s.decide(mailbox, m)
		if d.ev.Rejection {
			rejections = append(rejections, d)
		} else {
			others = append(others, d.ev)
		}
	})
	if err != nil {
		return err
	}
	// Events go out only after the FETCH: a slow reader must never hold up
	// the connection's reader.
	for _, ev := range others {
		s.emit(ev)
	}
	for _, d := range rejections {
		if ctx.Err() != nil {
			// Start no other. The one in hand may have been cut short, as
			// cancelling closes the connection: a draft without its
			// keyword is found again in Drafts at the next start.
			return nil
		}
		if err := s.act(mailbox, d); err != nil {
			return err
		}
	}
	for _, u := range uids {
		prog.LastUID = max(prog.LastUID, uint32(u))
	}
	if s.d.DryRun {
		return nil
	}
	seen := make([]uint32, len(uids))
	for i, u := range uids {
		seen[i] = uint32(u)
	}
	if err := s.d.Store.MarkSeen(s.a.Name, mailbox, s.validity, seen); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if s.scanning {
		return nil
	}
	return s.saveProgress(mailbox, *prog)
}

// decision is what was decided about one message.
type decision struct {
	m   fetched
	msg *message.Message
	res *classifier.Result
	ev  Event
}

// decide parses and classifies one message, and logs the decision.
func (s *session) decide(mailbox string, m fetched) decision {
	d := decision{m: m, ev: Event{Account: s.a.Name, Mailbox: mailbox, UID: uint32(m.uid), Bytes: len(m.raw)}}
	log := s.log.With("mailbox", mailbox, "uid", uint32(m.uid))
	switch {
	case hasFlag(m.flags, imap.FlagDraft):
		d.ev.Skipped = "a draft"
	case hasFlag(m.flags, imap.FlagAnswered):
		d.ev.Skipped = "already answered"
	case hasFlag(m.flags, imap.FlagDeleted):
		d.ev.Skipped = "deleted"
	case hasFlag(m.flags, s.keyword):
		// highroad stores the keyword only after the draft is in Drafts.
		d.ev.Skipped, d.ev.Handled = "already flagged", true
	case s.beforeCutoff(m):
		d.ev.Skipped = "before the first-run cutoff"
	}
	if d.ev.Skipped != "" && !d.ev.Handled {
		log.Debug("passed over", "why", d.ev.Skipped)
		return d
	}
	msg, err := message.Parse(bytes.NewReader(m.raw))
	if err != nil {
		log.Warn("passed over: not a readable message (highroad status lists it)", "err", err, "size", m.size)
		d.ev.Skipped = "unreadable"
		s.recordUnreadable(mailbox, m, err)
		return d
	}
	d.ev.MessageID, d.ev.Date, d.ev.Subject = msg.MessageID, msg.Date, msg.Subject
	d.ev.From = msg.From.Addr
	if msg.From.Name != "" {
		d.ev.From = msg.From.Name + " <" + msg.From.Addr + ">"
	}
	if d.ev.Handled {
		log.Debug("passed over", "why", d.ev.Skipped)
		return d
	}
	res, err := s.classify(msg)
	if err != nil {
		log.Error("passed over", "err", err)
		d.ev.Skipped = "internal error"
		return d
	}
	d.msg, d.res = msg, res
	d.ev.Rejection, d.ev.Result = res.Rejection, res
	log.Info("decision", "message_id", msg.MessageID, "rejection", res.Rejection, "score", res.Score,
		"threshold", res.Threshold, "rules", ruleIDs(res))
	return d
}

// act appends the draft for a rejection and then stores the keyword. The
// order makes a crash safe: a draft that exists is found again in Drafts
// by the rejection's identity (see identity.go), so a rejection is never
// drafted twice, and an unflagged one is never skipped. A draft the server
// refuses is recorded as waiting and tried again on later passes; the
// message then gets no keyword, so that it still looks unanswered.
func (s *session) act(mailbox string, d decision) error {
	ev := d.ev
	log := s.log.With("mailbox", mailbox, "uid", uint32(d.m.uid))
	rec, err := s.identify(mailbox, d)
	if err != nil {
		return err
	}
	if s.d.DryRun {
		log.Info("would flag and draft", "company", d.res.Company, "role", d.res.Role)
		s.emit(ev)
		return nil
	}
	if rec.DraftID == "" {
		if ev.Skipped, err = s.draft(&rec, d, log); err != nil || ev.Skipped != "" {
			if err == nil {
				s.emit(ev)
			}
			return err
		}
	}
	ev.DraftID = rec.DraftID
	if ev.Flagged, err = s.mark(&rec, d.m, log); err != nil {
		return err
	}
	what := "flagged and drafted"
	if !ev.Flagged {
		what = "drafted, without the keyword"
	}
	log.Info(what, "message_id", d.msg.MessageID, "draft", rec.DraftID, "company", d.res.Company, "role", d.res.Role)
	s.emit(ev)
	return nil
}

// draft appends the draft answering rec, unless one is in Drafts already,
// and records it. When the rejection cannot be drafted now it returns why,
// having recorded a server's refusal for a later retry.
func (s *session) draft(rec *state.Rejection, d decision, log *slog.Logger) (skipped string, err error) {
	id, err := s.ensureDraft(d.msg, d.res, rec.MessageID)
	var skip *skipError
	switch {
	case errors.As(err, &skip):
		// This message cannot be answered (no sender address): say so
		// and go on with the next one rather than stopping the account.
		log.Error("passed over: no draft", "message_id", d.msg.MessageID, "err", skip.err)
		return "no draft: " + skip.err.Error(), nil
	case isNo(err):
		return s.refused(rec, err, log)
	case err != nil:
		return "", err
	}
	rec.DraftID, rec.Drafted = id, s.d.now()
	rec.Refused, rec.Attempts, rec.NextTry = "", 0, time.Time{}
	if err := s.d.Store.PutRejection(*rec); err != nil {
		return "", fmt.Errorf("write state: %w", err)
	}
	s.d.Store.Record(s.a.Name, func(a *state.Activity) { a.Rejections++; a.Drafts++ })
	return "", nil
}

// mark stores the keyword on the rejection m, and records it once the
// server has stored it: a refusal (NO) is logged and leaves it unrecorded.
func (s *session) mark(rec *state.Rejection, m fetched, log *slog.Logger) (bool, error) {
	if !s.keywordOK {
		return false, nil
	}
	if !hasFlag(m.flags, s.keyword) {
		if err := s.flag(m.uid); err != nil {
			if !isNo(err) {
				return false, err
			}
			log.Warn("the server refused the keyword", "err", err)
			return false, nil
		}
	}
	if rec.Flagged {
		return true, nil
	}
	rec.Flagged = true
	if err := s.d.Store.PutRejection(*rec); err != nil {
		return true, fmt.Errorf("write state: %w", err)
	}
	return true, nil
}

// emit reports ev on the Events channel, giving up when the session's
// context ends, so that a reader that stopped reading cannot hold up a
// stop.
func (s *session) emit(ev Event) {
	ev.Took = time.Since(s.passStart)
	if s.d.Events == nil {
		return
	}
	select {
	case s.d.Events <- ev:
	case <-s.stop:
	}
}

func ruleIDs(r *classifier.Result) []string {
	ids := make([]string, 0, len(r.Hits))
	for _, h := range r.Hits {
		ids = append(ids, h.Rule)
	}
	return ids
}

// skipError is a failure particular to one message: it is passed over.
type skipError struct{ err error }

func (e *skipError) Error() string { return e.err.Error() }

// profile is the user as the drafts are written from: the configured
// profile, with the account's username as the address when none is set.
func (s *session) profile() drafts.Profile {
	p := s.d.Config.Profile.Drafts()
	if p.Address == "" && strings.Contains(s.a.Username, "@") {
		p.Address = s.a.Username
	}
	return p
}

// ensureDraft returns the Message-ID of the draft answering the rejection
// known as key, appending one to Drafts unless a draft tied to it is
// already there. The draft's X-Highroad-Rejection header carries key. A
// server's refusal of the APPEND comes back as its *imap.Error (NO).
func (s *session) ensureDraft(msg *message.Message, res *classifier.Result, key string) (string, error) {
	if err := s.loadDraftIndex(); err != nil {
		return "", err
	}
	if id, ok := s.draftIndex[key]; ok {
		s.log.Info("a draft for this rejection is already in Drafts", "message_id", msg.MessageID)
		return id, nil
	}
	r, err := drafts.Compose(msg, res, s.profile(), drafts.Options{Now: s.d.now(), Templates: s.d.Templates, RejectionKey: key})
	if err != nil {
		return "", &skipError{fmt.Errorf("compose draft: %w", err)}
	}
	r.Rejection = key // the identity, also when it is not the Message-ID
	raw, err := r.Bytes()
	if err != nil {
		return "", &skipError{fmt.Errorf("compose draft: %w", err)}
	}
	if err := s.appendDraft(raw); err != nil {
		return "", err
	}
	s.draftIndex[key] = r.MessageID
	return r.MessageID, nil
}

// classify runs the classifier, turning a panic into an error so that one
// strange message cannot stop the daemon.
func (s *session) classify(m *message.Message) (res *classifier.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in the classifier", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return s.d.Classifier.Classify(m), nil
}

func (s *session) appendDraft(raw []byte) error {
	return s.wait(func() error {
		cmd := s.c.Append(s.drafts, int64(len(raw)), &imap.AppendOptions{
			Flags: []imap.Flag{imap.FlagDraft, imap.FlagSeen}, Time: s.d.now()})
		if _, err := cmd.Write(raw); err != nil {
			cmd.Close()
			return fmt.Errorf("append to %q: %w", s.drafts, err)
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("append to %q: %w", s.drafts, err)
		}
		_, err := cmd.Wait()
		if err != nil {
			return fmt.Errorf("append to %q: %w", s.drafts, err)
		}
		return nil
	})
}

// flag adds the keyword to one message, and nothing else.
func (s *session) flag(uid imap.UID) error {
	return s.wait(func() error {
		err := s.c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
			Flags: []imap.Flag{s.keyword}}, nil).Close()
		if err != nil {
			return fmt.Errorf("store keyword on uid %d: %w", uid, err)
		}
		return nil
	})
}
