package classifier

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/highroad/highroad/message"
)

// labelLine matches a "Role: X" line of a portal's status mail.
var labelLine = regexp.MustCompile(`(?im)^[ \t*]*(?:job title|job|role|position|vacancy|opening|title|requisition|stelle|stellenbezeichnung|stellentitel|poste|intitulé du poste|offre|puesto|vacante|oferta|functie|vacature|functietitel)[ \t*]*:[ \t*]*(\S.*)$`)

// subjectRole matches subjects such as "Your application for X at Y".
var subjectRole = regexp.MustCompile(`(?i)\b(?:application|candidacy|candidature|kandidatur|bewerbung|candidatura|sollicitatie|proceso(?: de selecci[óo]n)?|terugkoppeling(?: gesprek)?|application update|thank you for applying|thanks for applying)(?: for| to| als| für| auf| pour| au poste de| para| voor| als| voor de functie| als| naar de functie|\s?:| -| –| \|)+\s*`)

// subjectTrail matches subjects that end with the word application:
// "Re: Taproom Manager application".
var subjectTrail = regexp.MustCompile(`^(?:(?:re|aw|fwd?|wg|tr|rv)\s?:\s*)*((?:[\p{Lu}0-9][\p{L}\p{N}+#/&.'’()-]*\s){1,6})(?i:application|candidacy|bewerbung|candidature|candidatura|sollicitatie)\s*$`)

// subjectLead matches subjects that start with a title: "Senior PM at Foo".
var subjectLead = regexp.MustCompile(`^((?:[\p{Lu}0-9][\p{L}\p{N}+#/&.'’()-]*\s?){1,6}?)\s(?:at|@|bei|chez|en|bij|[-–|])\s`)

// role finds the job title as written, never the company's name.
func role(m *message.Message, lang, company string) string {
	notCompany := func(r string) string {
		if r != "" && company != "" && orgKey(r) == orgKey(company) {
			return ""
		}
		return r
	}
	if loc := subjectRole.FindStringIndex(m.Subject); loc != nil {
		src := m.Subject[loc[1]:]
		if r := notCompany(roleAt(src, lang)); r != "" {
			return specialised(r, src, company)
		}
	}
	// Titles are named near the top; reading further costs time and finds
	// more false ones in footers.
	text := m.Text
	if len(text) > 1500 {
		text = text[:1500]
	}
	if mm := labelLine.FindStringSubmatch(linesWith(text, []string{":"})); mm != nil {
		if r := notCompany(roleAt(mm[1], lang)); r != "" {
			return r
		}
	}
	// The expressions below are costly per byte; run them only on the
	// paragraphs that can hold a title, unwrapped so that a title broken
	// across lines reads whole.
	text = unwrap(text)
	ts := wtokens(text)
	anchors := roleAnchorSet[lang]
	if lang != "en" {
		anchors = append(anchors[:len(anchors):len(anchors)], roleAnchorSet["en"]...)
	}
	best := ""
	for i := range ts {
		if lang == "en" && roleNounSet[ts[i].fold] {
			if r := notCompany(roleAt(titleBefore(text, ts, i), lang)); r != "" {
				best = r
				break
			}
		}
		for _, a := range anchors {
			if k := matchAnchor(ts, i, a); k > 0 {
				if r := notCompany(roleAt(text[ts[k].start:], lang)); r != "" {
					best = specialised(r, text[ts[k].start:], company)
					break
				}
			}
		}
		if best != "" {
			break
		}
	}
	if best != "" {
		return best
	}
	if mm := subjectLead.FindStringSubmatch(m.Subject); mm != nil {
		return notCompany(roleAt(mm[1], lang))
	}
	if mm := subjectTrail.FindStringSubmatch(m.Subject); mm != nil {
		return notCompany(roleAt(mm[1], lang))
	}
	return ""
}

// specialised extends a title with the specialism written after a dash or
// a comma: "Senior Software Engineer - Java", "Team Lead, Customer
// Success", unless what follows is the company ("Data Analyst - Acme") or
// more than a few capitalised words.
func specialised(r, src, company string) string {
	i := strings.Index(src, r)
	if i < 0 {
		return r
	}
	rest := src[i+len(r):]
	var sep string
	for _, s := range []string{" - ", " – ", ", "} {
		if strings.HasPrefix(rest, s) {
			sep = s
		}
	}
	if sep == "" {
		return r
	}
	rest = rest[len(sep):]
	end := strings.IndexAny(rest, ",.;:!?()\n")
	if end < 0 {
		end = len(rest)
	}
	words := strings.Fields(rest[:end])
	n := 0
	for n < len(words) && n < 3 && capitalised(words[n]) {
		n++
	}
	if n == 0 || n < len(words) && !roleFollower[strings.ToLower(words[n])] {
		return r
	}
	spec := strings.Join(words[:n], " ")
	if k := orgKey(spec); k == "" || company != "" && strings.HasPrefix(orgKey(company), k) || isAgency(spec) {
		return r
	}
	for _, w := range words[:n] {
		if teamWords[foldString(w)] {
			return r // "Receptionist – Hotel Brisamar": a place, not a specialism
		}
	}
	return r + sep + spec
}

// roleFollower are the words that may follow a specialised title.
var roleFollower = map[string]bool{"role": true, "position": true, "team": true, "at": true, "with": true,
	"in": true, "opening": true, "vacancy": true, "job": true, "and": true, "here": true}

// unwrap joins the lines of each paragraph into one.
func unwrap(s string) string {
	b := []byte(s)
	for i := 1; i+1 < len(b); i++ {
		if b[i] == '\n' && b[i-1] != '\n' && b[i+1] != '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// linesWith returns the lines of s that contain one of heads, ignoring case.
func linesWith(s string, heads []string) string {
	var b strings.Builder
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i+1], s[i+1:]
		} else {
			s = ""
		}
		low := strings.ToLower(line)
		for _, h := range heads {
			if strings.Contains(low, h) {
				b.WriteString(line)
				if !strings.HasSuffix(line, "\n") {
					b.WriteByte('\n')
				}
				break
			}
		}
	}
	return b.String()
}

// genderMark matches the "(m/w/d)", "H/F", "(f/m/x)" that job ads add.
var genderMark = regexp.MustCompile(`(?i)\s*[(\[]?\b[mwfdhxv*]\s?/\s?[mwfdhxv*](?:\s?/\s?[mwfdhxv*])?\b[)\]]?\s*$`)

var quotes = map[rune]rune{'"': '"', '“': '”', '„': '“', '«': '»', '‘': '’', '\'': '\'', '‹': '›', '”': '”'}

// roleAt reads the title at the start of s.
func roleAt(s, lang string) string {
	s = strings.TrimLeft(s, " \t")
	if r, size := utf8.DecodeRuneInString(s); quotes[r] != 0 {
		end := strings.IndexRune(s[size:], quotes[r])
		if end > 0 && end < 100 {
			return tidyRole(s[size : size+end])
		}
		s = s[size:]
	}
	if i := strings.IndexAny(s, "\n,;:!?\"“”«»[]"); i >= 0 {
		s = s[:i]
	}
	if strings.Contains(s, "/") {
		s = genderMark.ReplaceAllString(s, "")
	}
	if i := strings.Index(s, "("); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, ". ")
	if len(s) > 100 {
		s = s[:100]
	}
	s = cutRole(s, lang)
	r := tidyRole(s)
	if lang == "en" || lang == "de" {
		if c, _ := utf8.DecodeRuneInString(r); !unicode.IsUpper(c) && !unicode.IsDigit(c) {
			return ""
		}
	}
	return r
}

// stopAlways end a title wherever they stand; stopBeforeLower end it only
// when a lower-case word follows ("Sales and Marketing Manager" stays whole,
// "Designer and we" does not).
var (
	stopAlways = []string{" at ", " @ ", " with ", " bei ", " chez ", " au sein", " bij ", " within ",
		" has ", " have ", " was ", " is ", " ist ", " est ", " es ", " ha ", " que ", " that ", " which ",
		" who ", " we ", " wir ", " nous ", " hemos ", " will ", " wurde ", " heeft ", " hat ", " - ",
		" – ", " — ", " | ", " (ref", " ref.", " req", " job id", " #", " here", " on ", " a été",
		" n'a ", " n’a ", " no ", " not ", " nicht ", " niet ", " ne ", " dans ", " hier", " van onze",
		" in unserem", " in unserer", " in our", " in the ", " to ", " posted", " ausgeschrieben",
		" haben ", " hebben ", " zijn ", " sind ", " werden ", " wordt ", " a ", " et nous", " y hemos",
		" cette ", " ce ", " ces ", " cet ", " publicado", " publicada", " necesitamos", " basé", " basée",
		" situé", " située", " dont ", " avons ", " tenemos ", " qui ", " donde ", " waar ", " die ", " dat ",
		" deze ", " esta ", " este ", " semaine", " week", " semana", " pour lequel", " pour laquelle",
		" para el que", " para la que", " waarvoor", " ist ", " war ", " wurde ", " ya ", " está ", " fue ",
		" se ha ", " ha sido"}
	stopBeforeLower = []string{" and ", " und ", " et ", " y ", " en ", " for ", " in ", " für ",
		" pour ", " para ", " voor ", " met ", " mit ", " con ", " avec ", " of ", " op "}
)

// roleNouns follow a title and end it: "the X position in Berlin".
var roleNouns = []string{" position", " role", " opening", " vacancy", " job ", " post ", " stelle", " poste ",
	" puesto", " functie", " vacature", " positie", " rolle", " vacante"}

func cutRole(s, lang string) string {
	s = " " + s
	low := strings.ToLower(s) + " "
	end := len(s)
	for _, n := range roleNouns {
		if i := strings.Index(low, n); i > 1 && i < end {
			end = i
		}
	}
	if lang == "en" || lang == "de" {
		end = min(end, firstLowerWord(s))
	}
	for _, stop := range stopAlways {
		if i := strings.Index(low, stop); i >= 0 && i < end {
			end = i
		}
	}
	if lang == "es" {
		if i := strings.Index(low, " en "); i >= 0 && i < end {
			end = i
		}
	}
	for _, stop := range stopBeforeLower {
		for from := 0; from < end; {
			i := strings.Index(low[from:], stop)
			if i < 0 || from+i >= end {
				break
			}
			i += from
			next, _ := utf8.DecodeRuneInString(s[min(len(s), i+len(stop)):])
			if unicode.IsLower(next) && !(stop == " en " && lang == "fr") {
				end = i
				break
			}
			from = i + 1
		}
	}
	return strings.TrimSpace(s[:end])
}

// titleConnectors may stand in lower case inside an English or German title.
var titleConnectors = map[string]bool{"of": true, "and": true, "for": true, "in": true, "&": true,
	"für": true, "und": true, "im": true, "der": true, "des": true, "mit": true, "the": true, "to": true}

// firstLowerWord returns the offset of the first lower-case word of s that
// cannot be part of a title, where English and German titles end.
func firstLowerWord(s string) int {
	off := 0
	for _, w := range strings.SplitAfter(s, " ") {
		t := strings.TrimSpace(w)
		r, _ := utf8.DecodeRuneInString(t)
		if t != "" && unicode.IsLower(r) && !titleConnectors[t] && off > 1 {
			return off - 1
		}
		off += len(w)
	}
	return len(s)
}

var roleNoise = map[string]bool{
	"position": true, "role": true, "job": true, "opening": true, "vacancy": true, "post": true,
	"stelle": true, "poste": true, "puesto": true, "functie": true, "vacature": true, "positie": true,
	"the": true, "a": true, "an": true, "our": true, "this": true, "your": true, "le": true, "la": true,
	"el": true, "die": true, "der": true, "den": true, "het": true, "een": true, "de": true, "rolle": true,
	"vacante": true, "posición": true, "position:": true, "opportunity": true, "van": true, "als": true,
	"as": true, "of": true, "del": true, "du": true, "des": true, "oferta": true, "offre": true,
	"ihre": true, "deine": true, "votre": true, "ta": true, "tu": true, "su": true, "je": true, "uw": true,
	"my": true, "mijn": true, "meine": true, "mon": true, "ma": true, "mi": true,
}

// tidyRole drops the words around a title ("the", "position") and refuses
// what cannot be one.
func tidyRole(s string) string {
	if strings.Contains(s, "/") {
		s = genderMark.ReplaceAllString(s, "")
	}
	s = strings.Trim(strings.TrimSpace(s), `"'“”«»‚‘’„ .-–`)
	s = strings.TrimPrefix(s, "l'")
	s = strings.TrimPrefix(s, "l’")
	words := strings.Fields(s)
	for len(words) > 0 && roleNoise[strings.ToLower(words[0])] {
		words = words[1:]
	}
	for len(words) > 0 && roleNoise[strings.ToLower(words[len(words)-1])] {
		words = words[:len(words)-1]
	}
	if len(words) == 0 || len(words) > 9 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(words[0])
	if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
		return ""
	}
	out := strings.Join(words, " ")
	switch strings.ToLower(out) {
	case "us", "you", "it", "them", "me", "uns", "nous", "vous", "nosotros", "ons", "u", "jou":
		return ""
	}
	return out
}
