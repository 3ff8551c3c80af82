package classifier

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/highroad/highroad/message"
)

// Signal says what a rule is evidence of.
type Signal string

// The signals a rule can carry.
const (
	// Decision rules recognise the employer's decision not to go on.
	Decision Signal = "decision"
	// Job rules recognise the context of a job application.
	Job Signal = "job"
	// Against rules recognise counter-evidence: look-alikes, the user's own
	// voice, rejections of other things.
	Against Signal = "against"
	// AfterInterview and BeforeInterview rules vote on the stage; their
	// weight does not count towards the score.
	AfterInterview  Signal = "after_interview"
	BeforeInterview Signal = "before_interview"
)

// Field names where a rule looks.
const (
	FieldSubject      = "subject"
	FieldBody         = "body"
	FieldText         = "text" // subject and body
	FieldSenderName   = "sender_name"
	FieldSenderDomain = "sender_domain"
	headerPrefix      = "header:"
)

// Rule is one piece of evidence: where to look, what to match, and what it
// weighs. Patterns are phrases of words compared after folding case and
// accents; a word ending in "*" matches any word it begins, a lone "*"
// skips up to four words and "**" up to ten, never across a sentence end.
// For sender_domain the patterns are domains, matching themselves and their
// subdomains.
type Rule struct {
	ID     string   `yaml:"id" json:"id"`
	Signal Signal   `yaml:"signal" json:"signal"`
	In     string   `yaml:"in" json:"in"`
	Weight int      `yaml:"weight" json:"weight"`
	Lang   string   `yaml:"lang,omitempty" json:"lang,omitempty"`
	Match  []string `yaml:"match" json:"match"`
	Note   string   `yaml:"note,omitempty" json:"note,omitempty"`
}

// RuleSet is a complete rule set with its decision threshold.
type RuleSet struct {
	Threshold int `yaml:"threshold" json:"threshold"`
	// DecisionCap bounds what decision rules add up to; 0 means no bound.
	DecisionCap int    `yaml:"decision_cap,omitempty" json:"decision_cap,omitempty"`
	Rules       []Rule `yaml:"rules" json:"rules"`
}

// Changes are a user's edits to a rule set: rules added or replaced by id
// (a replacement without patterns keeps the old ones), rules disabled by id,
// and an optional new threshold.
type Changes struct {
	Threshold int      `yaml:"threshold,omitempty"`
	Disable   []string `yaml:"disable,omitempty"`
	Rules     []Rule   `yaml:"rules,omitempty"`
}

//go:embed rules.yaml
var defaultRules []byte

// Default returns the embedded default rule set.
func Default() *RuleSet {
	rs, err := ParseRules(defaultRules)
	if err != nil {
		panic("classifier: embedded rules: " + err.Error())
	}
	return rs
}

// ParseRules decodes and validates a rule set in YAML. Unknown keys are
// errors; error messages carry the line number.
func ParseRules(b []byte) (*RuleSet, error) {
	var rs RuleSet
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&rs); err != nil {
		return nil, err
	}
	if err := rs.Validate(); err != nil {
		return nil, err
	}
	return &rs, nil
}

// Validate checks every rule and that ids are unique.
func (rs *RuleSet) Validate() error {
	if rs.Threshold <= 0 {
		return errors.New("threshold must be a positive number")
	}
	seen := make(map[string]bool, len(rs.Rules))
	for i := range rs.Rules {
		r := &rs.Rules[i]
		if err := r.Validate(); err != nil {
			return err
		}
		if seen[r.ID] {
			return fmt.Errorf("rule %q: id used twice", r.ID)
		}
		seen[r.ID] = true
	}
	return nil
}

// Validate checks one rule.
func (r *Rule) Validate() error {
	if r.ID == "" {
		return errors.New("rule without id")
	}
	switch r.Signal {
	case Decision, Job, Against, AfterInterview, BeforeInterview:
	default:
		return fmt.Errorf("rule %q: signal %q is not one of decision, job, against, after_interview, before_interview", r.ID, r.Signal)
	}
	switch {
	case r.In == FieldSubject, r.In == FieldBody, r.In == FieldText, r.In == FieldSenderName, r.In == FieldSenderDomain:
	case strings.HasPrefix(r.In, headerPrefix) && slices.Contains(message.EvidenceHeaders, strings.TrimPrefix(r.In, headerPrefix)):
	default:
		return fmt.Errorf("rule %q: in %q is not one of subject, body, text, sender_name, sender_domain, header:NAME (NAME in lower case, one of %s)",
			r.ID, r.In, strings.Join(message.EvidenceHeaders, ", "))
	}
	if r.Signal == Against && r.Weight > 0 {
		return fmt.Errorf("rule %q: an against rule needs a negative weight", r.ID)
	}
	if (r.Signal == Decision || r.Signal == Job) && r.Weight < 0 {
		return fmt.Errorf("rule %q: a %s rule needs a positive weight", r.ID, r.Signal)
	}
	if len(r.Match) == 0 {
		return fmt.Errorf("rule %q: no patterns under match", r.ID)
	}
	for _, p := range r.Match {
		if r.In == FieldSenderDomain {
			if strings.TrimSpace(p) == "" || strings.ContainsAny(p, " @*") {
				return fmt.Errorf("rule %q: %q is not a domain", r.ID, p)
			}
			continue
		}
		if _, err := compilePattern(p); err != nil {
			return fmt.Errorf("rule %q: %w", r.ID, err)
		}
	}
	return nil
}

// Apply returns a copy of rs with the changes made.
func (rs *RuleSet) Apply(c Changes) (*RuleSet, error) {
	out := &RuleSet{Threshold: rs.Threshold, DecisionCap: rs.DecisionCap}
	if c.Threshold != 0 {
		out.Threshold = c.Threshold
	}
	off := make(map[string]bool, len(c.Disable))
	known := make(map[string]bool, len(rs.Rules))
	for _, r := range rs.Rules {
		known[r.ID] = true
	}
	for _, id := range c.Disable {
		if !known[id] {
			return nil, fmt.Errorf("disable %q: no such rule", id)
		}
		off[id] = true
	}
	repl := make(map[string]Rule, len(c.Rules))
	for _, r := range c.Rules {
		repl[r.ID] = r
	}
	for _, r := range rs.Rules {
		if off[r.ID] {
			continue
		}
		if n, ok := repl[r.ID]; ok {
			r = merge(r, n)
			delete(repl, r.ID)
		}
		out.Rules = append(out.Rules, r)
	}
	for _, r := range c.Rules {
		if _, ok := repl[r.ID]; ok {
			out.Rules = append(out.Rules, r)
		}
	}
	return out, out.Validate()
}

// merge overlays the fields set in n on the default rule r.
func merge(r, n Rule) Rule {
	if n.Signal != "" {
		r.Signal = n.Signal
	}
	if n.In != "" {
		r.In = n.In
	}
	if n.Weight != 0 {
		r.Weight = n.Weight
	}
	if len(n.Match) > 0 {
		r.Match = n.Match
	}
	if n.Note != "" {
		r.Note = n.Note
	}
	if n.Lang != "" {
		r.Lang = n.Lang
	}
	return r
}
