package classifier

import (
	"fmt"
	"strings"
)

// token is one word of a compiled pattern.
type token struct {
	text   string
	prefix bool // matches any word that begins with text
	neg    bool // matches any negation of the rule's language: "not", "won't", "nicht"...
	gap    int  // how many words may be skipped before this token
}

type pattern struct {
	rule    int // index into the classifier's rules
	toks    []token
	negated bool  // a negation just before the match cancels it
	hypo    bool  // so does a condition ("if", "sollten", "mocht"): a decision that may never be taken
	mask    uint8 // the languages whose negations count for this pattern
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
		if f != "**" && strings.Contains(strings.TrimSuffix(f, "*"), "*") {
			return nil, fmt.Errorf("pattern %q: a * may only end a word or stand alone", src)
		}
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
		if w == "" {
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
	// contractions start with a negation and are tried at every English
	// contraction ("shan't"), which the exact map cannot list.
	contractions []int32
	// prefix holds the patterns whose first token is a prefix, keyed by its
	// first prefixKey bytes (or all of it, when shorter).
	prefix map[string][]int32
}

const prefixKey = 3

func newIndex() *index {
	return &index{exact: map[string][]int32{}, prefix: map[string][]int32{}}
}

func (x *index) add(rule int, toks []token, negated, hypo bool, mask uint8) {
	id := int32(len(x.patterns))
	x.patterns = append(x.patterns, pattern{rule: rule, toks: toks, negated: negated, hypo: hypo, mask: mask})
	t := toks[0]
	if t.neg {
		for w, m := range negations {
			if m&mask != 0 {
				x.exact[w] = append(x.exact[w], id)
			}
		}
		if mask&1 != 0 {
			x.contractions = append(x.contractions, id)
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
		if len(x.contractions) > 0 && len(w) > 3 && string(w[len(w)-3:]) == "n't" && negations[string(w)] == 0 {
			x.try(d, i, x.contractions, fired, found)
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
		if !wordMatches(d.wordBytes(i), p.toks[0], p.mask) {
			continue // a prefix index hit whose word is shorter than the prefix
		}
		if end, ok := matchFrom(d, p.toks[1:], i, p.mask); ok {
			if p.negated && negatedAt(d, i, p.mask) || p.hypo && hypotheticalAt(d, i, p.mask) {
				continue
			}
			fired[p.rule] = true
			found(hit{rule: p.rule, start: i, end: end})
		}
	}
}

// matchFrom matches toks against the words after word i and returns the
// index of the last word matched.
func matchFrom(d *doc, toks []token, i int, mask uint8) (int, bool) {
	if len(toks) == 0 {
		return i, true
	}
	t := toks[0]
	for j := i + 1; j < len(d.words) && j <= i+1+t.gap; j++ {
		if d.isStop(j) {
			return 0, false
		}
		if wordMatches(d.wordBytes(j), t, mask) {
			if end, ok := matchFrom(d, toks[1:], j, mask); ok {
				return end, true
			}
		}
	}
	return 0, false
}

func wordMatches(w []byte, t token, mask uint8) bool {
	if t.neg {
		return isNegation(w, mask)
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

// negations are the words that turn the phrase after them around, with
// the languages (a bit per entry of Languages) they belong to.
var negations = func() map[string]uint8 {
	lists := [][]string{
		{"not", "no", "never", "cannot", "unable", "without", "neither", "nor", "won't", "don't", "can't",
			"wouldn't", "isn't", "aren't", "haven't", "hasn't", "weren't", "wasn't", "didn't", "doesn't",
			"couldn't", "shouldn't", "hadn't", "mustn't", "shan't"},
		{"nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "ohne"},
		{"pas", "ne", "ni", "jamais", "sans", "aucun", "aucune"},
		{"no", "nunca", "sin", "ni", "tampoco", "ningun", "ninguna"},
		{"niet", "geen", "nooit", "zonder", "noch"},
	}
	m := map[string]uint8{}
	for i, l := range lists {
		for _, w := range l {
			m[w] |= 1 << i
		}
	}
	return m
}()

// allLanguages is the negation mask of a rule with no language.
const allLanguages = 1<<5 - 1

// langMask returns the negation mask for a rule's language.
func langMask(lang string) uint8 {
	for i, l := range Languages {
		if l == lang {
			return 1 << i
		}
	}
	return allLanguages
}

// negatedAt reports whether one of the three words before word i, within
// the sentence, is a negation of the languages in mask.
func negatedAt(d *doc, i int, mask uint8) bool {
	for j := i - 1; j >= 0 && j >= i-3; j-- {
		if d.isStop(j) {
			return false
		}
		if isNegation(d.wordBytes(j), mask) {
			return true
		}
	}
	return false
}

// conditions are the words that make what follows hypothetical, per
// language: "Should your profile not be a match, we will let you know".
var conditions = func() map[string]uint8 {
	lists := [][]string{
		{"if", "should", "unless", "whether", "case"},
		{"falls", "sollten", "sollte", "wenn", "ob", "sofern"},
		{"si", "cas", "s'il"},
		{"si", "caso"},
		{"mocht", "mochten", "indien", "geval"},
	}
	m := map[string]uint8{}
	for i, l := range lists {
		for _, w := range l {
			m[w] |= 1 << i
		}
	}
	return m
}()

// hypotheticalAt reports whether a condition of the languages in mask
// stands among the five words before word i (eight in German, where the
// verb comes last: "Sollten wir Ihre Bewerbung im weiteren Verfahren nicht
// berücksichtigen"), within the sentence.
func hypotheticalAt(d *doc, i int, mask uint8) bool {
	window := 5
	if mask == 1<<1 {
		window = 8
	}
	for j := i - 1; j >= 0 && j >= i-window; j-- {
		if d.isStop(j) {
			return false
		}
		if conditions[string(d.wordBytes(j))]&mask != 0 {
			return true
		}
	}
	return false
}

// isNegation reports whether w is a negation in one of the languages in
// mask; English contractions ("shan't") and French elisions ("n'a") count
// without being listed.
func isNegation(w []byte, mask uint8) bool {
	n := len(w)
	return negations[string(w)]&mask != 0 ||
		mask&1 != 0 && n > 3 && string(w[n-3:]) == "n't" ||
		mask&4 != 0 && n > 2 && string(w[:2]) == "n'"
}
