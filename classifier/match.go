package classifier

import (
	"fmt"
	"strings"
)

// token is one word of a compiled pattern.
type token struct {
	text   string
	prefix bool // matches any word that begins with text
	neg    bool // matches any negation: "not", "won't", "nicht", "pas"...
	gap    int  // how many words may be skipped before this token
}

type pattern struct {
	rule    int // index into the classifier's rules
	toks    []token
	negated bool // a negation just before the match cancels it
}

const (
	shortGap = 4
	longGap  = 10
)

// compilePattern turns "decided * other candidat*" into tokens.
func compilePattern(src string) ([]token, error) {
	var toks []token
	gap := 0
	for _, f := range strings.Fields(src) {
		switch f {
		case "*":
			gap += shortGap
			continue
		case "**":
			gap += longGap
			continue
		}
		if f == "~not" {
			toks = append(toks, token{neg: true, gap: gap})
			gap = 0
			continue
		}
		prefix := strings.HasSuffix(f, "*")
		f = strings.TrimSuffix(f, "*")
		w := foldString(f)
		if w == "" || strings.Contains(w, "*") {
			return nil, fmt.Errorf("pattern %q: %q is not a word", src, f)
		}
		// Folding may split a written word ("e-mail", "m/w/d") in several.
		parts := strings.Fields(w)
		for i, p := range parts {
			t := token{text: p}
			if i == 0 {
				t.gap = gap
			}
			if i == len(parts)-1 {
				t.prefix = prefix
			}
			toks = append(toks, t)
		}
		gap = 0
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("pattern %q has no words", src)
	}
	if gap != 0 {
		return nil, fmt.Errorf("pattern %q ends with a gap", src)
	}
	if toks[0].gap != 0 {
		return nil, fmt.Errorf("pattern %q starts with a gap", src)
	}
	return toks, nil
}

// index finds the patterns that can start at a word.
type index struct {
	patterns []pattern
	exact    map[string][]int32
	// prefix holds the patterns whose first token is a prefix, keyed by its
	// first prefixKey bytes (or all of it, when shorter).
	prefix map[string][]int32
}

const prefixKey = 3

func newIndex() *index {
	return &index{exact: map[string][]int32{}, prefix: map[string][]int32{}}
}

func (x *index) add(rule int, toks []token, negated bool) {
	id := int32(len(x.patterns))
	x.patterns = append(x.patterns, pattern{rule: rule, toks: toks, negated: negated})
	t := toks[0]
	if t.neg {
		for w := range negations {
			x.exact[w] = append(x.exact[w], id)
		}
		return
	}
	if !t.prefix {
		x.exact[t.text] = append(x.exact[t.text], id)
		return
	}
	k := t.text[:min(len(t.text), prefixKey)]
	x.prefix[k] = append(x.prefix[k], id)
}

// hit is a pattern found in a doc: the rule and the words it matched.
type hit struct {
	rule       int
	start, end int // word indexes, inclusive
}

// scan reports the first match of every rule not yet in fired, and marks it.
func (x *index) scan(d *doc, fired []bool, found func(hit)) {
	for i := range d.words {
		if d.isStop(i) {
			continue
		}
		w := d.wordBytes(i)
		if ids, ok := x.exact[string(w)]; ok {
			x.try(d, i, ids, fired, found)
		}
		for l := 1; l <= prefixKey && l <= len(w); l++ {
			if ids, ok := x.prefix[string(w[:l])]; ok {
				x.try(d, i, ids, fired, found)
			}
		}
	}
}

func (x *index) try(d *doc, i int, ids []int32, fired []bool, found func(hit)) {
	for _, id := range ids {
		p := &x.patterns[id]
		if fired[p.rule] {
			continue
		}
		if !wordMatches(d.wordBytes(i), p.toks[0]) {
			continue // a prefix index hit whose word is shorter than the prefix
		}
		if end, ok := matchFrom(d, p.toks[1:], i); ok {
			if p.negated && negatedAt(d, i) {
				continue
			}
			fired[p.rule] = true
			found(hit{rule: p.rule, start: i, end: end})
		}
	}
}

// matchFrom matches toks against the words after word i and returns the
// index of the last word matched.
func matchFrom(d *doc, toks []token, i int) (int, bool) {
	if len(toks) == 0 {
		return i, true
	}
	t := toks[0]
	for j := i + 1; j < len(d.words) && j <= i+1+t.gap; j++ {
		if d.isStop(j) {
			return 0, false
		}
		if wordMatches(d.wordBytes(j), t) {
			if end, ok := matchFrom(d, toks[1:], j); ok {
				return end, true
			}
		}
	}
	return 0, false
}

func wordMatches(w []byte, t token) bool {
	if t.neg {
		return isNegation(w)
	}
	if t.prefix {
		return len(w) >= len(t.text) && string(w[:len(t.text)]) == t.text
	}
	return string(w) == t.text
}

// domainMatches reports whether domain is d or one of its subdomains.
func domainMatches(domain, d string) bool {
	return domain == d || strings.HasSuffix(domain, d) && domain[len(domain)-len(d)-1] == '.'
}

// negations are the words that turn the phrase after them around.
var negations = map[string]bool{
	"not": true, "no": true, "never": true, "won't": true, "don't": true, "can't": true,
	"cannot": true, "wouldn't": true, "isn't": true, "aren't": true, "haven't": true,
	"hasn't": true, "weren't": true, "wasn't": true, "unable": true, "without": true,
	"didn't": true, "doesn't": true, "couldn't": true, "shouldn't": true, "hadn't": true,
	"mustn't": true, "neither": true, "nor": true,
	"nicht": true, "kein": true, "keine": true, "keinen": true, "nie": true,
	"pas": true, "ne": true, "n'": true, "ni": true, "jamais": true, "sans": true,
	"nunca": true, "sin": true, "niet": true, "geen": true, "nooit": true, "zonder": true,
}

// negatedAt reports whether one of the three words before word i, within
// the sentence, is a negation.
func negatedAt(d *doc, i int) bool {
	for j := i - 1; j >= 0 && j >= i-3; j-- {
		if d.isStop(j) {
			return false
		}
		w := d.wordBytes(j)
		if isNegation(w) {
			return true
		}
	}
	return false
}

func isNegation(w []byte) bool {
	n := len(w)
	return negations[string(w)] || n > 3 && string(w[n-3:]) == "n't" || n > 2 && string(w[:2]) == "n'"
}
