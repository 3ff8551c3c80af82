package classifier

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/highroad/highroad/message"
)

// companyAnchors are the words after which mail names an employer, with
// what such a mention weighs: "at Acme", "bei Acme", "chez Acme" weigh more
// than "with Acme", which also introduces other things. A key of two words
// needs both, in order.
var companyAnchors = map[string]int{
	"at": 3, "bei": 3, "chez": 3, "bij": 3, "join": 3, "joining": 3, "rejoindre": 3,
	"interest in": 3, "interested in": 3, "behalf of": 3, "sein de": 3, "sein d'": 3,
	"equipo de": 3, "équipe de": 3, "unirte a": 3, "parte de": 3, "team van": 3,
	"with": 1, "from": 1, "for": 1, "für": 1, "pour": 1, "en": 1, "voor": 1, "von": 1,
	"para": 2, "an": 1,
	// An agency names its client, the employer: "our client, Orrin Health".
	"client": 8, "klant": 8, "mandant": 8, "mandanten": 8, "cliente": 8, "opdrachtgever": 8, "clients": 8,
}

// secondWords end the two-word anchors.
var secondWords = map[string]bool{"in": true, "of": true, "de": true, "d'": true, "a": true, "van": true}

// teamNouns follow a company's name: "the Acme team", "Acme's recruiting".
var teamNouns = map[string]bool{
	"team": true, "hiring": true, "recruiting": true, "talent": true, "people": true, "family": true,
	"recruitment": true, "equipo": true, "team.": true, "careers": true,
}

// orgConnectors may stand in lower case inside a company's name.
var orgConnectors = map[string]bool{
	"of": true, "and": true, "de": true, "du": true, "des": true, "la": true, "le": true, "y": true,
	"und": true, "van": true, "der": true, "den": true, "for": true, "für": true, "the": true, "&": true,
}

// word is a token of the original text with the punctuation around it
// stripped; stop marks a token that ends a clause or a line, comma one
// followed by a comma.
type word struct {
	text  string
	stop  bool
	comma bool
	eol   bool // the last word of its line, with no punctuation after it
}

func words(s string) []word {
	out := make([]word, 0, len(s)/6)
	for i := 0; i < len(s); {
		// Skip spaces; note a line end, which ends the word before it.
		if c := s[i]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			if c == '\n' && len(out) > 0 {
				last := &out[len(out)-1]
				last.eol = !last.stop
				last.stop = true
			}
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n' {
			j++
		}
		f := s[i:j]
		i = j
		t := strings.TrimRight(f, ".,;:!?)\"”’»")
		stop := len(t) < len(f) && !strings.HasSuffix(f, "’") && !strings.HasSuffix(f, "'")
		comma := strings.HasSuffix(f, ",")
		t = strings.TrimLeft(t, "(\"“‘«")
		if t != "" {
			out = append(out, word{text: t, stop: stop, comma: comma})
		}
	}
	if len(out) > 0 {
		out[len(out)-1].stop = true
	}
	return out
}

func capitalised(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}

// nameAt reads a run of capitalised words from ws[i], allowing lower-case
// connectors between them, up to a clause end.
func nameAt(ws []word, i int) string {
	var parts []string
	for ; i < len(ws) && len(parts) < 6; i++ {
		w := ws[i]
		switch {
		case capitalised(w.text):
		case orgConnectors[w.text] && len(parts) > 0 && i+1 < len(ws) && capitalised(ws[i+1].text):
		default:
			return strings.Join(parts, " ")
		}
		parts = append(parts, w.text)
		if w.stop {
			break
		}
	}
	return strings.Join(parts, " ")
}

// anchoredOrgs finds company names after anchors and before team nouns.
func anchoredOrgs(ws []word, add func(string, int)) {
	for i, w := range ws {
		if i+1 >= len(ws) {
			continue
		}
		low := strings.ToLower(w.text)
		weight := companyAnchors[low]
		if w.stop && (weight < 8 || !w.comma) {
			continue
		}
		if i > 0 && !ws[i-1].stop && secondWords[low] {
			if two := companyAnchors[strings.ToLower(ws[i-1].text)+" "+low]; two > 0 {
				weight = two
			}
		}
		if weight > 0 && capitalised(ws[i+1].text) {
			name := nameAt(ws, i+1)
			if weight > 1 || strings.Contains(name, " ") {
				add(name, weight)
			}
		}
		if teamNouns[low] && i > 0 {
			// Walk back over the name: "the Acme Corp team".
			j := i - 1
			for j >= 0 && (capitalised(ws[j].text) || orgConnectors[ws[j].text]) && !ws[j].stop && i-j <= 5 {
				j--
			}
			if j < i-1 {
				name := make([]string, 0, i-j-1)
				for _, x := range ws[j+1 : i] {
					name = append(name, x.text)
				}
				add(strings.Join(name, " "), 3)
			}
		}
	}
}

// notOrg are capitalised words that start sentences or name other things.
var notOrg = map[string]bool{
	"unfortunately": true, "thank": true, "thanks": true, "we": true, "i": true, "dear": true, "hi": true,
	"hello": true, "you": true, "your": true, "our": true, "the": true, "this": true, "that": true,
	"ihnen": true, "ihre": true, "ihrer": true, "ihr": true, "sie": true, "uns": true, "interesse": true,
	"bewerbung": true, "stelle": true, "position": true, "team": true, "zukunft": true, "erfolg": true,
	"vielen": true, "dank": true, "leider": true, "unternehmen": true, "greenhouse": true, "lever": true,
	"workday": true, "linkedin": true, "indeed": true, "glassdoor": true, "smartrecruiters": true,
	"personio": true, "recruitee": true, "teamtailor": true, "workable": true, "ashby": true,
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "this time": true,
	"january": true, "february": true, "march": true, "april": true, "may": true, "june": true, "july": true,
	"august": true, "september": true, "october": true, "november": true, "december": true,
	"vous": true, "nous": true, "votre": true, "notre": true, "madame": true, "monsieur": true,
	"usted": true, "nuestro": true, "nuestra": true, "je": true, "jouw": true, "uw": true, "ons": true,
	"onze": true, "hr": true, "talent": true, "recruiting": true, "people": true, "careers": true,
	"human resources": true, "talent acquisition": true, "a": true, "an": true, "le": true, "la": true,
	"el": true, "los": true, "las": true, "de": true, "het": true, "een": true, "die": true, "der": true,
	"das": true, "cv": true, "re": true, "aw": true, "please": true, "best": true, "kind": true,
	"grussen": true, "grusse": true, "weg": true, "unterlagen": true, "seleccion": true, "inc": true,
	"personalabteilung": true, "rrhh": true, "rr.hh": true, "engagement": true, "ingenieria": true,
	"equal opportunity employer": true, "recursos humanos": true, "ressources humaines": true, "ltd": true, "gmbh": true, "llc": true, "ag": true, "plc": true, "bv": true, "sa": true,
	"sl": true, "sas": true, "se": true, "co": true, "corp": true, "limited": true,
}

var legalForm = regexp.MustCompile(`(?i)[ ,]+(?:gmbh(?: & co\.? kg)?|ag|se|kg|inc\.?|ltd\.?|llc|llp|plc|pvt\.?(?: ltd\.?)?|\(pty\)(?: ltd\.?)?|pty(?: ltd\.?)?|b\.?v\.?|n\.?v\.?|s\.?a\.?(?: de c\.?v\.?)?s?\.?|s\.?l\.?u?\.?|sarl|s\.?r\.?l\.?|co\.?|corp\.?|limited|asa?|ab|oy|a/s|aps)$`)

type orgVote struct {
	name  string
	score int
}

// company picks the employer's name by votes from several places: phrases in
// the subject and text, the sender's display name, the signature, and the
// sender's domain, which confirms the others.
func company(m *message.Message, sig []string, contact string) string {
	votes := map[string]*orgVote{}
	contactKey := orgKey(contact)
	var recipients []string
	for _, a := range m.To {
		if a.Name != "" {
			recipients = append(recipients, orgKey(a.Name))
		}
	}
	add := func(name string, w int) {
		name = tidyOrg(name)
		key := orgKey(name)
		if key == "" || len(key) < 2 || notOrg[strings.ToLower(name)] || notOrg[key] || contactKey == key ||
			contact != "" && strings.Contains(contactKey, key) || isRecipient(key, recipients) {
			return
		}
		if v := votes[key]; v != nil {
			v.score += w
			return
		}
		votes[key] = &orgVote{name: name, score: w}
	}
	text := m.Text
	if len(text) > 1500 {
		text = text[:1500]
	}
	subjectWords, textWords := words(m.Subject), words(text)
	anchoredOrgs(subjectWords, add)
	anchoredOrgs(textWords, add)
	if n := displayOrg(m.From.Name); n != "" {
		add(n, 3)
	}
	for i, l := range sigOrgs(sig, contact) {
		add(l, max(1, 2-i))
	}
	for _, part := range subjectParts(m.Subject) {
		add(part, 2)
	}
	labels := domainLabels(m)
	for _, l := range labels {
		if n := domainPhrase(l, subjectWords, textWords, words(strings.Join(sig, "\n"))); n != "" {
			add(n, 5)
			break
		}
	}
	var best *orgVote
	for key, v := range votes {
		for _, l := range labels {
			if l != "" && (key == l || len(key) >= 4 && strings.HasPrefix(l, key) || len(l) >= 4 && strings.HasPrefix(key, l)) {
				v.score += 4
				break
			}
		}
		if best == nil || v.score > best.score || v.score == best.score && len(v.name) < len(best.name) {
			best = v
		}
	}
	if best != nil && isAgency(best.name) {
		// An agency writes for its client, the employer: take the best
		// mention of another organisation in the text, if there is one.
		var client *orgVote
		for _, v := range votes {
			if v != best && !isAgency(v.name) && v.score >= 3 && (client == nil || v.score > client.score) {
				client = v
			}
		}
		if client != nil {
			return client.name
		}
	}
	if best != nil {
		// Prefer the fuller form of the same name: "Velora Foods" over "Velora".
		for key, v := range votes {
			if v != best && strings.HasPrefix(key, orgKey(best.name)) && len(v.name) > len(best.name) &&
				strings.HasPrefix(v.name, best.name+" ") {
				return v.name
			}
		}
		return best.name
	}
	if len(labels) > 0 && labels[0] != "" {
		return titleCase(labels[0])
	}
	return ""
}

// agencyWords mark the name of a recruitment agency.
var agencyWords = []string{"recruit", "search", "talent", "resourcing", "personalberatung", "personaldienst",
	"werving", "selectie", "consult", "staffing", "headhunt", "cabinet", "executive", "personnel",
	"uitzend", "interim", "seleccion"}

// isAgency reports whether name reads as a recruitment agency's.
func isAgency(name string) bool {
	k := foldString(name)
	for _, w := range agencyWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// subjectParts returns the parts of a subject set apart by " - ", " | " or
// " – " that are a short run of capitalised words and nothing else:
// "Orbis Logistics" in "Orbis Logistics - Warehouse Manager interview".
func subjectParts(subject string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(subject, func(r rune) bool { return r == '|' || r == '–' || r == '—' }) {
		for _, q := range strings.Split(p, " - ") {
			q = strings.TrimSpace(q)
			ws := words(q)
			for len(ws) > 0 && subjectNoise[foldString(ws[0].text)] {
				ws = ws[1:] // "Rückmeldung Vandersee Logistik", "Re: Acme"
			}
			if len(ws) == 0 || len(ws) > 4 || hasTitleWord(q) {
				continue
			}
			if name := nameAt(ws, 0); name == strings.Join(wordTexts(ws), " ") && strings.Contains(name, " ") {
				out = append(out, name)
			}
		}
	}
	return out
}

// subjectNoise are the words subjects put before a name.
var subjectNoise = map[string]bool{
	"re": true, "aw": true, "fw": true, "fwd": true, "wg": true, "tr": true, "rv": true, "rückmeldung": true,
	"ruckmeldung": true, "absage": true, "update": true, "feedback": true, "your": true, "ihre": true,
	"deine": true, "votre": true, "ta": true, "tu": true, "su": true, "je": true, "uw": true,
	"application": true, "bewerbung": true, "candidature": true, "candidatura": true, "sollicitatie": true,
	"news": true, "info": true, "reply": true, "antwort": true, "reponse": true, "respuesta": true,
	"terugkoppeling": true, "status": true,
}

func wordTexts(ws []word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.text
	}
	return out
}

// isRecipient reports whether key names one of the recipients (folded).
func isRecipient(key string, recipients []string) bool {
	for _, r := range recipients {
		if r == key || strings.Contains(r, key) {
			return true
		}
	}
	return false
}

// tidyOrg trims connectors and punctuation left at the ends of a match.
func tidyOrg(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	if i := strings.LastIndexAny(s, " ,"); i >= 0 && legalWords[strings.ReplaceAll(strings.Trim(strings.ToLower(s[i+1:]), ".()"), ".", "")] {
		s = legalForm.ReplaceAllString(s, "")
	}
	s = strings.TrimSpace(strings.Trim(s, ".,;:!?'’\"()- "))
	words := strings.Fields(s)
	// "Ihr Team Personal", "Selección Hoteles Brisamar": pronouns, closings
	// and department words are not part of a company's name.
	for len(words) > 0 && (orgLead[foldString(words[0])] || orgSuffixes.MatchString(words[0]) && len(words) > 1) {
		words = words[1:]
	}
	for len(words) > 0 {
		last := strings.ToLower(words[len(words)-1])
		if last == "of" || last == "and" || last == "de" || last == "du" || last == "des" || last == "la" ||
			last == "le" || last == "y" || last == "und" || last == "van" || last == "der" || last == "den" ||
			last == "for" || last == "für" || last == "the" || last == "&" || last == "team" || last == "s" {
			words = words[:len(words)-1]
			continue
		}
		break
	}
	if len(words) == 0 || len(words) > 5 {
		return ""
	}
	out := strings.TrimRightFunc(strings.Join(words, " "), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ')'
	})
	out = strings.TrimSuffix(strings.TrimSuffix(out, "'s"), "’s")
	return out
}

// legalWords are legal forms, folded, that orgKey leaves out.
var legalWords = map[string]bool{
	"gmbh": true, "ag": true, "se": true, "kg": true, "co": true, "inc": true, "ltd": true, "llc": true,
	"llp": true, "plc": true, "pvt": true, "pty": true, "bv": true, "nv": true, "sa": true, "sas": true,
	"sl": true, "slu": true, "sarl": true, "srl": true, "corp": true, "limited": true, "as": true,
	"asa": true, "ab": true, "oy": true, "aps": true, "cv": true, "b": true, "v": true, "s": true,
	"l": true, "a": true, "c": true, "n": true, "and": false,
}

// orgLead are words that cannot begin a company's name.
var orgLead = map[string]bool{
	"ihr": true, "ihre": true, "your": true, "votre": true, "tu": true, "su": true, "uw": true,
	"grussen": true, "grusse": true, "regards": true, "saludos": true, "cordialement": true,
	"groet": true, "groeten": true, "dear": true, "hi": true, "hello": true, "bonjour": true, "hola": true,
	"beste": true, "liebe": true, "lieber": true, "hallo": true, "our": true, "unser": true, "unsere": true,
	"notre": true, "nuestro": true, "nuestra": true, "onze": true, "ons": true, "the": true,
}

// orgKey folds a name for comparison: letters and digits only, legal form
// dropped.
func orgKey(s string) string {
	words := strings.Fields(foldString(strings.ReplaceAll(s, "&", " and ")))
	for len(words) > 1 && (legalWords[words[len(words)-1]] || words[len(words)-1] == "." ||
		words[len(words)-1] == "and" && len(words) > 2) {
		words = words[:len(words)-1]
	}
	var b strings.Builder
	for _, w := range words {
		for _, r := range w {
			if r != '\'' && r != '.' {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// orgSuffixes are the words ATS and teams add around a company's name in a
// display name: "Acme Careers", "Talent at Acme", "Recrutement Acme".
var orgSuffixes = regexp.MustCompile(`(?i)\b(?:careers?|jobs?|recruiting|recruitment|resourcing|talent(?: acquisition)?|hiring(?: team)?|people(?: team)?|hr|team|teams|karriere|bewerbermanagement|personalabteilung|personal|recrutement|rh|empleo|reclutamiento|rr\.?hh\.?|selección|selecci[oó]n|werving(?: en selectie)?|vacatures|notifications?|no-?reply|via [\w.-]+|équipe|equipo|the)\b`)

func displayOrg(name string) string {
	if name == "" || personName(name) != "" {
		return ""
	}
	for _, sep := range []string{" at ", " @ ", " from ", " bei ", " chez ", " bij ", " de "} {
		if i := strings.Index(name, sep); i > 0 {
			name = name[i+len(sep):]
		}
	}
	if i := strings.Index(name, "("); i >= 0 {
		if j := strings.Index(name[i:], ")"); j > 0 {
			name = name[i+1 : i+j]
		}
	}
	for _, sep := range []string{" | ", " - ", " – ", " via "} {
		if i := strings.Index(name, sep); i > 0 {
			left, right := name[:i], name[i+len(sep):]
			bareLeft := strings.TrimSpace(orgSuffixes.ReplaceAllString(left, " "))
			bareRight := strings.TrimSpace(orgSuffixes.ReplaceAllString(right, " "))
			switch {
			case sep == " via ":
				name = left // "Acme via Greenhouse"
			case bareRight == "":
				name = left // "Groupe Vernier - Recrutement"
			case bareLeft == "":
				name = right // "Careers | Acme"
			case personName(left) != "":
				name = right // "Dana Kim | Acme"
			default:
				name = left
			}
		}
	}
	name = strings.Join(strings.Fields(orgSuffixes.ReplaceAllString(name, " ")), " ")
	return name
}

// sigOrgs returns signature lines that read as an organisation: short,
// capitalised, with no contact details, taken apart at "|" and ",".
func sigOrgs(sig []string, contact string) []string {
	if len(sig) == 0 {
		return nil
	}
	from := 1
	if !isClosing(sig[0]) {
		i, _ := unclosedSigner(sig)
		if i < 0 {
			return nil
		}
		from = i
	}
	var out []string
	for i, l := range sig[from:] {
		if i > 8 {
			break
		}
		if strings.Contains(strings.ToLower(l), "powered by") || strings.ContainsAny(l, "0123456789@") {
			continue
		}
		for _, part := range strings.FieldsFunc(l, func(r rune) bool { return r == '|' || r == ',' || r == '•' || r == '·' }) {
			part = strings.TrimSpace(strings.TrimLeft(part, "-–— "))
			if part == "" || strings.ContainsAny(part, ":/+") || len(part) > 40 || singleName(part) && i == 0 ||
				contact != "" && (strings.HasPrefix(orgKey(part), orgKey(contact)) || strings.HasPrefix(orgKey(contact), orgKey(part))) {
				continue
			}
			r, _ := utf8.DecodeRuneInString(part)
			if !unicode.IsUpper(r) || hasTitleWord(part) || len(strings.Fields(part)) > 5 || strings.HasSuffix(part, ".") && !legalForm.MatchString(part) {
				continue
			}
			out = append(out, part)
		}
	}
	return out
}

// titleStems begin the words of job titles, departments, addresses and
// legal footers: a signature line holding one is not a company's name.
var titleStems = []string{"recruiter", "talent", "manager", "director", "head", "lead", "partner", "coordinat",
	"specialist", "sourcer", "hr", "human", "people", "officer", "assistant", "engineer", "consultant",
	"advisor", "adviser", "business", "senior", "junior", "referent", "leiter", "leitung", "personalreferent",
	"personalleit", "personalabteilung", "personalwesen",
	"responsable", "charge", "reclutador", "tecnic", "medewerker", "adviseur", "team", "department",
	"abteilung", "st", "str", "strasse", "street", "road", "avenue", "tel", "phone", "mobile", "www", "http",
	"regards", "greetings", "grusse", "groet", "saludos", "cordialement", "geschaftsfuhr", "amtsgericht",
	"registergericht", "sitz", "ceo", "founder", "cto", "coo", "cfo", "directeur", "directrice", "directora",
	"associe", "avocat", "abogad", "arquitect", "gerente", "jefe", "jefa", "gestionnaire", "conseille",
	"asesor", "algemeen", "hoofd", "beleidsmedewerker", "consultor", "seleccion", "atraccion", "talento",
	"contratacion", "tarification", "geschaftsleitung", "inhaber", "buroleitung", "sachbearbeiter"}

var titleStemSet = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range titleStems {
		m[s] = true
	}
	return m
}()

// hasTitleWord reports whether a word of s begins with a title stem.
func hasTitleWord(s string) bool {
	for _, w := range strings.Fields(foldString(s)) {
		for n := 2; n <= len(w) && n <= 16; n++ {
			if titleStemSet[w[:n]] && (n == len(w) || n >= 4) {
				return true
			}
		}
	}
	return false
}

func titleCase(s string) string {
	if s == "" {
		return ""
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}
