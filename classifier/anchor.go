package classifier

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// An anchor is a phrase after which mail names the job title, written as
// slots of alternatives: "position|role of|as ?a|an" matches "position of
// a" and "role as". A slot starting with "?" may be left out.
type anchor []slot

type slot struct {
	words    map[string]bool
	optional bool
}

func parseAnchor(s string) anchor {
	var a anchor
	for _, f := range strings.Fields(s) {
		sl := slot{words: map[string]bool{}}
		if strings.HasPrefix(f, "?") {
			sl.optional, f = true, f[1:]
		}
		for _, w := range strings.Split(f, "|") {
			sl.words[w] = true
		}
		a = append(a, sl)
	}
	return a
}

// roleAnchorText are the anchors per language, in folded words.
var roleAnchorText = map[string][]string{
	"en": {
		"position|role|job|opening|vacancy|post ?title of|as ?an|a|the",
		"application|applying|applied|candidacy|interest|interviewing|interview|interviews for|to ?be ?the|our|a|an|this",
		"considering|considered you for ?the|our|a|an|this",
	},
	"de": {
		"bewerbung|bewerbungen|beworben als|fur|auf|um ?die|eine|unsere|den|das|der ?ausgeschriebene|vakante|offene ?position|stelle|stellenanzeige|vakanz|rolle ?als|des|der|zum|zur|im|in",
		"position|stelle|rolle ?als|des|der|zum|zur",
	},
	"fr": {
		"poste|offre de|d'|:",
		"candidature ?au|pour|a ?le|l' ?poste|offre de|d'|pour|au",
		"en tant que",
	},
	"es": {
		"puesto|posicion|vacante|rol|oferta ?de ?empleo de|como|para ?el|la",
		"candidatura para|al|a|como ?puesto|posicion|vacante ?de ?el|la",
	},
	"nl": {
		"functie|vacature|positie|rol ?van|als|voor|: ?de",
		"sollicitatie voor|als|op|naar ?de|het ?functie|vacature|positie ?van|als",
	},
}

var roleAnchorSet = func() map[string][]anchor {
	m := map[string][]anchor{}
	for lang, list := range roleAnchorText {
		for _, s := range list {
			m[lang] = append(m[lang], parseAnchor(s))
		}
	}
	return m
}()

// wtok is a word of a text with its place: folded for comparing, and the
// byte offsets of its original spelling.
type wtok struct {
	fold       string
	start, end int
	stop       bool // punctuation follows
}

// tokens splits s into words; French elisions ("d'Analyste") become two
// tokens, "d'" and "Analyste".
func wtokens(s string) []wtok {
	var out []wtok
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ':' {
			i += size
			continue
		}
		if r == ':' {
			out = append(out, wtok{fold: ":", start: i, end: i + 1})
			i++
			continue
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' {
				j += size
				continue
			}
			if (r == '\'' || r == '’') && j-i <= 2 && j+size < len(s) {
				// An elision: keep "d'" as a wtok of its own.
				out = append(out, wtok{fold: foldString(s[i:j]) + "'", start: i, end: j + size})
				i = j + size
				j = i
				continue
			}
			break
		}
		if j > i {
			t := wtok{fold: foldString(s[i:j]), start: i, end: j}
			if j < len(s) && strings.ContainsRune(".,;!?\n", rune(s[j])) {
				t.stop = true
			}
			out = append(out, t)
		}
		i = max(j, i+1)
	}
	return out
}

// matchAnchor returns the index of the token after an anchor that starts at
// token i, or -1. Optional slots are tried taken first, then left out.
func matchAnchor(ts []wtok, i int, a anchor) int {
	k := matchSlots(ts, i, a)
	if k >= len(ts) || k <= i {
		return -1
	}
	return k
}

func matchSlots(ts []wtok, k int, a anchor) int {
	if len(a) == 0 {
		return k
	}
	sl := a[0]
	if k < len(ts) && sl.words[ts[k].fold] && (len(a) == 1 || !ts[k].stop || ts[k].fold == ":") {
		if end := matchSlots(ts, k+1, a[1:]); end >= 0 {
			return end
		}
	}
	if sl.optional {
		return matchSlots(ts, k, a[1:])
	}
	return -1
}

// roleNounSet are the words an English title stands before: "the X role".
var roleNounSet = map[string]bool{"role": true, "position": true, "post": true, "opening": true,
	"vacancy": true, "job": true, "gig": true, "opportunity": true}

var determiners = map[string]bool{"the": true, "our": true, "this": true, "a": true, "an": true,
	"your": true, "that": true}

// titleBefore reads an English title standing before the noun at wtok i:
// "for the Senior Backend Engineer role".
func titleBefore(s string, ts []wtok, i int) string {
	j := i - 1
	for j >= 0 && i-j <= 8 && !ts[j].stop {
		w := s[ts[j].start:ts[j].end]
		if determiners[ts[j].fold] {
			break
		}
		if !capitalised(w) && !titleConnectors[ts[j].fold] {
			return ""
		}
		j--
	}
	if j < 0 || j == i-1 || !determiners[ts[j].fold] {
		return ""
	}
	return s[ts[j+1].start:ts[i-1].end]
}
