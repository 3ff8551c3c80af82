// Package classifier decides, with weighted rules anyone can read, whether a
// message is an employer's rejection of a job application, and explains the
// decision: every rule that fired, its weight and the words it matched. It
// also extracts what a reply needs: whom to greet and write to, the company,
// the role, the stage reached and the language.
//
// The package is pure: no network, no clock, no files beyond its embedded
// rules. A Classifier is safe for concurrent use.
package classifier

import (
	"fmt"
	"strings"
	"sync"

	"github.com/highroad/highroad/message"
)

// Stage is how far the application got before it was turned down.
type Stage string

// The stages a rejection can be at.
const (
	StageUnknown         Stage = "unknown"
	StageAfterInterview  Stage = "after_interview"
	StageBeforeInterview Stage = "before_interview"
)

// Hit is a rule that fired: which rule, what it weighs, where it looked and
// the words it matched, as folded for matching.
type Hit struct {
	Rule   string `json:"id"`
	Signal Signal `json:"signal"`
	Weight int    `json:"weight"`
	Field  string `json:"field"`
	Match  string `json:"match"`
}

// CapRule names the hit that brings the decision rules' total down to the
// rule set's DecisionCap.
const CapRule = "decision-cap"

// Counts reports whether the hit's weight is part of the score. Stage cues
// only vote on the stage.
func (h Hit) Counts() bool {
	return h.Signal != AfterInterview && h.Signal != BeforeInterview
}

// Result is the classification of one message and its explanation.
type Result struct {
	Rejection bool
	Score     int
	Threshold int
	Hits      []Hit
	// Notes say which conditions besides the score held the verdict back,
	// such as "no job-application context".
	Notes []string

	ContactName    string
	ContactAddress string
	Company        string
	Role           string
	Stage          Stage
	Language       string
}

// Limits on how much text is read; the evidence sits near the top.
const (
	maxBodyBytes   = 32 << 10
	maxHeaderBytes = 1 << 10
)

// Classifier applies a compiled rule set. The zero value is not usable; use
// New.
type Classifier struct {
	set     *RuleSet
	byField map[string]*index
	domains []domainRule
	self    map[string]bool
	pool    sync.Pool
}

type domainRule struct {
	rule    int
	domains []string
}

type scratch struct {
	d     doc
	fired []bool
}

// New compiles rs. Mail from any of the self addresses (the user's own) is
// never taken as a rejection.
func New(rs *RuleSet, self ...string) (*Classifier, error) {
	if err := rs.Validate(); err != nil {
		return nil, err
	}
	c := &Classifier{set: rs, byField: map[string]*index{}, self: map[string]bool{}}
	for _, a := range self {
		if a != "" {
			c.self[strings.ToLower(a)] = true
		}
	}
	for i, r := range rs.Rules {
		if r.In == FieldSenderDomain {
			c.domains = append(c.domains, domainRule{rule: i, domains: lowerAll(r.Match)})
			continue
		}
		fields := []string{r.In}
		if r.In == FieldText {
			fields = []string{FieldSubject, FieldBody}
		}
		for _, f := range fields {
			x := c.byField[f]
			if x == nil {
				x = newIndex()
				c.byField[f] = x
			}
			for _, p := range r.Match {
				toks, _ := compilePattern(p) // checked by Validate
				// A negation just before a match turns it around ("we have
				// not selected another candidate"), except where the
				// pattern itself begins with one.
				starts := toks[0].neg || isNegation([]byte(toks[0].text), allLanguages)
				negated := r.Signal == Against || r.Signal == AfterInterview || r.Signal == Decision && !starts
				x.add(i, toks, negated, r.Signal == Decision, langMask(r.Lang))
			}
		}
	}
	c.pool.New = func() any { return &scratch{fired: make([]bool, len(rs.Rules))} }
	return c, nil
}

// Rules returns the rule set in effect.
func (c *Classifier) Rules() *RuleSet { return c.set }

func lowerAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}

// Classify classifies m and explains the verdict.
func (c *Classifier) Classify(m *message.Message) *Result {
	s := c.pool.Get().(*scratch)
	defer c.pool.Put(s)
	clear(s.fired)
	res := &Result{Threshold: c.set.Threshold, Stage: StageUnknown}
	add := func(field string) func(hit) {
		return func(h hit) {
			r := &c.set.Rules[h.rule]
			res.Hits = append(res.Hits, Hit{Rule: r.ID, Signal: r.Signal, Weight: r.Weight, Field: field, Match: s.d.text(h.start, h.end)})
		}
	}
	// The body is folded first: its language decides which rules apply.
	s.d.reset()
	s.d.fold(m.Text, maxBodyBytes)
	res.Language = detectLanguage(&s.d)
	if res.Language == "en" && len(s.d.words) < 3 {
		s.d.reset()
		s.d.fold(m.Subject, maxHeaderBytes)
		res.Language = detectLanguage(&s.d)
		s.d.reset()
		s.d.fold(m.Text, maxBodyBytes)
	}
	for i, r := range c.set.Rules {
		// Another language's rules stay silent, except that English job
		// and counter-evidence words count everywhere ("Talent
		// Acquisition", "newsletter"); English decisions and stage cues
		// only count in English mail.
		other := r.Lang != "" && r.Lang != res.Language
		if other && (r.Lang != "en" || r.Signal == Decision || r.Signal == AfterInterview || r.Signal == BeforeInterview) {
			s.fired[i] = true
		}
	}
	if x := c.byField[FieldBody]; x != nil {
		x.scan(&s.d, s.fired, add(FieldBody))
	}
	c.scanField(s, FieldSubject, m.Subject, add)
	c.scanField(s, FieldSenderName, m.From.Name, add)
	for field := range c.byField {
		if name, ok := strings.CutPrefix(field, headerPrefix); ok {
			c.scanField(s, field, m.Header[name], add)
		}
	}
	c.scanDomains(s, m, res)
	c.decide(m, res)
	if res.Rejection {
		// Only a reply needs these, and finding them costs more than the
		// verdict itself.
		extract(m, res)
	}
	return res
}

func (c *Classifier) scanField(s *scratch, field, text string, add func(string) func(hit)) {
	x := c.byField[field]
	if x == nil || text == "" {
		return
	}
	s.d.reset()
	s.d.fold(text, maxHeaderBytes)
	x.scan(&s.d, s.fired, add(field))
}

func (c *Classifier) scanDomains(s *scratch, m *message.Message, res *Result) {
	senders := []message.Address{m.From, m.Sender}
	senders = append(senders, m.ReplyTo...)
	for _, dr := range c.domains {
		if s.fired[dr.rule] {
			continue
		}
		for _, a := range senders {
			if d := a.Domain(); d != "" && matchAnyDomain(d, dr.domains) {
				s.fired[dr.rule] = true
				r := &c.set.Rules[dr.rule]
				res.Hits = append(res.Hits, Hit{Rule: r.ID, Signal: r.Signal, Weight: r.Weight, Field: FieldSenderDomain, Match: d})
				break
			}
		}
	}
}

func matchAnyDomain(d string, list []string) bool {
	for _, x := range list {
		if domainMatches(d, x) {
			return true
		}
	}
	return false
}

// decide adds up the evidence and applies the gates.
func (c *Classifier) decide(m *message.Message, res *Result) {
	var job, decision bool
	var after, before, decided int
	for _, h := range res.Hits {
		switch h.Signal {
		case Job:
			job = true
		case Decision:
			decision = true
			decided += h.Weight
			continue
		case AfterInterview:
			after += h.Weight
			continue
		case BeforeInterview:
			before += h.Weight
			continue
		}
		res.Score += h.Weight
	}
	res.Score += decided
	if cap := c.set.DecisionCap; cap > 0 && decided > cap {
		// The cap is listed as evidence of its own, so that the score is
		// always the sum of the weights the explanation lists.
		res.Hits = append(res.Hits, Hit{Rule: CapRule, Signal: Decision, Weight: cap - decided,
			Match: fmt.Sprintf("decision rules count at most %d together", cap)})
		res.Score = res.Score - decided + cap
	}
	switch {
	case after > before:
		res.Stage = StageAfterInterview
	case before > after:
		res.Stage = StageBeforeInterview
	}
	self := c.self[strings.ToLower(m.From.Addr)]
	if self {
		res.Notes = append(res.Notes, "sent from your own address")
	}
	if !job {
		res.Notes = append(res.Notes, "no job-application context")
	}
	if !decision {
		res.Notes = append(res.Notes, "no decision against the application")
	}
	res.Rejection = job && decision && !self && res.Score >= res.Threshold
}
