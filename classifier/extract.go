package classifier

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/highroad/highroad/message"
)

// extract fills in whom to greet and write to, the company and the role.
func extract(m *message.Message, res *Result) {
	sig := signature(m.Text)
	res.ContactName = contactName(m, sig)
	res.ContactAddress = contactAddress(m, sig, res.ContactName)
	res.Company = company(m, sig, res.ContactName)
	res.Role = role(m, res.Language, res.Company)
}

// roleMailboxes are local parts of shared mailboxes; their display name is
// a team or a company more often than a person.
var roleMailboxes = map[string]bool{
	"jobs": true, "careers": true, "career": true, "talent": true, "recruiting": true,
	"recruitment": true, "hr": true, "people": true, "hiring": true, "info": true, "karriere": true,
	"bewerbung": true, "bewerbungen": true, "recrutement": true, "rh": true, "empleo": true,
	"seleccion": true, "rrhh": true, "vacatures": true, "werken": true, "werving": true,
	"sollicitatie": true, "team": true, "hello": true, "contact": true, "office": true, "admin": true,
	"apply": true, "candidates": true, "talentacquisition": true, "ta": true, "personal": true,
	"emploi": true, "jobs-noreply": true, "stellen": true, "work": true, "join": true, "joinus": true,
}

// robotLocal are parts of local parts that mark an address nobody reads.
var robotLocal = []string{
	"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
	"notification", "mailer-daemon", "bounce", "automated", "autoconfirm", "auto-confirm",
	"alerts", "postmaster", "notify", "nepasrepondre", "ne-pas-repondre", "noresponder",
	"no-responder", "nicht-antworten", "keine-antwort", "niet-beantwoorden", "geen-antwoord",
}

// atsDomains send on behalf of employers; their addresses lead nowhere.
var atsDomains = []string{
	"greenhouse.io", "greenhouse-mail.io", "lever.co", "myworkday.com", "workday.com",
	"smartrecruiters.com", "ashbyhq.com", "workablemail.com", "workable.com", "teamtailor.com",
	"teamtailor-mail.com", "icims.com", "jobvite.com", "bamboohr.com", "recruitee.com",
	"personio.de", "personio.com", "softgarden.io", "softgarden.de", "join.com",
	"successfactors.com", "successfactors.eu", "taleo.net", "breezy.hr", "applytojob.com",
	"jazzhr.com", "welcometothejungle.com", "jobylon.com", "homerun.co", "pinpointhq.com",
	"comeet.co", "hibob.com", "factorial.co", "rexx-systems.com", "dvinci.de",
}

// IsRobot reports whether a is an address that no person reads: a no-reply
// or notification mailbox, or an applicant tracking system's sender.
func IsRobot(a message.Address) bool {
	local := a.Local()
	bare := separators.Replace(local)
	for _, r := range robotLocal {
		if strings.Contains(local, r) || strings.Contains(bare, separators.Replace(r)) {
			return true
		}
	}
	return matchAnyDomain(a.Domain(), atsDomains)
}

// separators are taken out of local parts to see "no.reply" as "noreply".
var separators = strings.NewReplacer(".", "", "-", "", "_", "", "+", "")

// ValidAddress reports whether addr is a plain ASCII address with a dotted
// domain that is safe to write in a header: no encoded words, no control
// or direction characters, and one that net/mail reads back unchanged.
func ValidAddress(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || len(addr) > 254 || strings.Contains(addr, "=?") || !strings.Contains(addr[at:], ".") ||
		strings.HasSuffix(addr, ".") {
		return false
	}
	for i := 0; i < len(addr); i++ {
		if c := addr[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`<>()[]\,;:"`, c) >= 0 {
			return false
		}
	}
	a, err := mail.ParseAddress(addr)
	return err == nil && a.Address == addr
}

// notForReplies are mailboxes that exist for other purposes than answering
// candidates, often named in legal footers.
var notForReplies = []string{"privacy", "dpo", "datenschutz", "gdpr", "rgpd", "legal", "unsubscribe",
	"abuse", "support", "help", "avg", "protecciondedatos", "dataprotection", "data-protection"}

func replyable(a message.Address, m *message.Message) bool {
	if !ValidAddress(a.Addr) || IsRobot(a) {
		return false
	}
	local := a.Local()
	for _, n := range notForReplies {
		// Whole words only: "dpo@" and "privacy.team@" but not "dpowell@".
		if local == n || strings.HasPrefix(local, n+".") || strings.HasPrefix(local, n+"-") || strings.HasPrefix(local, n+"_") {
			return false
		}
	}
	for _, to := range m.To {
		if strings.EqualFold(to.Addr, a.Addr) {
			return false
		}
	}
	return true
}

// unreadNotices are what mail says of a sender address no one reads.
var unreadNotices = []string{"do not reply", "don't reply", "not monitored", "unmonitored", "not read",
	"cannot receive replies", "can't receive replies", "no-reply", "noreply", "nicht antworten",
	"nicht beantwortet", "nicht überwacht", "ne pas répondre", "ne pas repondre", "no responda",
	"no respondas", "no contestes", "no conteste", "niet beantwoorden", "niet reageren", "niet gelezen",
	"kein antwort", "keine antwort", "n'est pas lue", "n'est pas consultée", "no se lee", "no es leído"}

// unread reports whether text says its sender address is not read.
func unread(text string) bool {
	// Such notices sit at the top or in the footer.
	if len(text) > 3000 {
		text = text[:1000] + text[len(text)-2000:]
	}
	low := strings.ToLower(text)
	for _, n := range unreadNotices {
		if strings.Contains(low, n) {
			return true
		}
	}
	return false
}

// contactAddress picks where a reply should go: Reply-To, the sender, or an
// address written in the signature, never a robot.
func contactAddress(m *message.Message, sig []string, name string) string {
	for _, a := range m.ReplyTo {
		if replyable(a, m) {
			return a.Addr
		}
	}
	if replyable(m.From, m) && !unread(m.Text) {
		return m.From.Addr
	}
	if a := addressIn(sig, m); a != "" {
		return a
	}
	return ""
}

func addressIn(lines []string, m *message.Message) string {
	for _, l := range lines {
		for _, w := range strings.FieldsFunc(l, func(r rune) bool {
			return unicode.IsSpace(r) || strings.ContainsRune("<>()[]:;,|\"'", r)
		}) {
			w = strings.TrimSuffix(strings.TrimPrefix(w, "mailto"), ".")
			if at := strings.IndexByte(w, '@'); at > 0 && strings.Contains(w[at:], ".") {
				if replyable(message.Address{Addr: w}, m) {
					return w
				}
			}
		}
	}
	return ""
}

// signature returns the last lines of the new text, from the closing
// formula on, or the last dozen lines when there is none.
func signature(text string) []string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	from := max(0, len(lines)-25)
	for i := len(lines) - 1; i >= from; i-- {
		if isClosing(lines[i]) {
			return lines[i:]
		}
	}
	return lines[max(0, len(lines)-12):]
}

// closings are the formulas that end a letter, folded.
var closings = []string{
	"best regards", "kind regards", "warm regards", "warmest regards", "regards", "best wishes",
	"all the best", "best", "sincerely", "yours sincerely", "yours truly", "thank you", "thanks",
	"many thanks", "cheers", "warmly", "with best regards", "respectfully", "with kind regards",
	"mit freundlichen grussen", "freundliche grusse", "viele grusse", "beste grusse",
	"herzliche grusse", "liebe grusse", "mfg", "gruss", "grusse", "mit besten grussen",
	"cordialement", "bien cordialement", "tres cordialement", "bien a vous", "sinceres salutations",
	"salutations", "belle journee", "bonne journee", "a bientot",
	"saludos", "un saludo", "atentamente", "saludos cordiales", "un cordial saludo", "muchas gracias",
	"gracias", "un abrazo", "reciba un cordial saludo", "recibe un cordial saludo",
	"met vriendelijke groet", "met vriendelijke groeten", "vriendelijke groet", "vriendelijke groeten",
	"hartelijke groet", "hartelijke groeten", "groet", "groeten", "met hartelijke groet", "mvg",
	"met groet", "veel succes", "thanks again", "thank you again", "many thanks again", "take care",
	"best of luck", "good luck", "with gratitude", "gracias de nuevo", "merci encore", "nochmals vielen dank",
}

var closingSet = func() map[string]bool {
	m := make(map[string]bool, len(closings))
	for _, c := range closings {
		m[c] = true
	}
	return m
}()

// isClosing reports whether line is a closing formula, alone or followed by
// a name on the same line ("Best, Dana").
func isClosing(line string) bool {
	l := strings.TrimSpace(line)
	if l == "" || len(l) > 60 {
		return false
	}
	if i := strings.IndexAny(l, ",!"); i > 0 {
		l = l[:i]
	}
	f := foldString(l)
	if closingSet[f] {
		return true
	}
	// "Wishing you all the best", "With warm regards": a few words before
	// a closing formula.
	words := strings.Fields(f)
	for n := 1; n <= 3 && n < len(words); n++ {
		if closingSet[strings.Join(words[len(words)-n:], " ")] && len(words) <= 6 {
			return true
		}
	}
	return false
}

// teamWords mark a display name or signature line that is not a person.
var teamWords = map[string]bool{
	"team": true, "teams": true, "careers": true, "career": true, "recruiting": true, "recruitment": true,
	"talent": true, "hr": true, "jobs": true, "job": true, "hiring": true, "people": true,
	"notifications": true, "notification": true, "noreply": true, "no": true, "reply": true,
	"support": true, "info": true, "admin": true, "acquisition": true, "human": true, "resources": true,
	"karriere": true, "bewerbermanagement": true, "personal": true, "personalabteilung": true,
	"recrutement": true, "rh": true, "empleo": true, "reclutamiento": true, "seleccion": true,
	"werving": true, "vacatures": true, "selectie": true, "equipe": true, "equipo": true,
	"the": true, "via": true, "from": true, "inc": true, "gmbh": true, "ag": true, "ltd": true,
	"llc": true, "bv": true, "b": true, "v": true, "sa": true, "sas": true, "sl": true, "group": true,
	"services": true, "office": true, "de": false, "recruiter": true, "rrhh": true, "bewerbung": true,
	"bewerbungen": true, "applications": true, "application": true, "candidates": true,
	"candidate": true, "portal": true, "system": true, "mail": true, "email": true, "company": true,
	"and": true, "und": true, "et": true, "y": true, "en": true, "at": true, "of": true,
	"departamento": true, "recursos": true, "humanos": true, "ressources": true, "humaines": true,
	"personeelszaken": true, "afdeling": true, "abteilung": true, "service": true, "gemeente": true,
	"agglomeration": true, "mairie": true, "ayuntamiento": true, "stadt": true, "ville": true,
	"universiteit": true, "university": true, "universidad": true, "universite": true, "hochschule": true,
	// Businesses that sign like people: "Restaurante La Lonja", "Hotel Adler".
	"restaurant": true, "restaurante": true, "hotel": true, "cafe": true, "bar": true, "bistro": true,
	"brewery": true, "brasserie": true, "bakery": true, "bakkerij": true, "backerei": true, "studio": true,
	"shop": true, "store": true, "clinic": true, "klinik": true, "praxis": true, "kanzlei": true,
	"agency": true, "agentur": true, "agence": true, "agencia": true, "bureau": true, "cabinet": true,
	"labs": true, "lab": true, "solutions": true, "systems": true, "technologies": true, "consulting": true,
	"partners": true, "holding": true, "foundation": true, "stiftung": true, "verein": true,
	"gemeinde": true, "grupo": true, "groupe": true, "groep": true, "gruppe": true,
	"thank": true, "thanks": true, "regards": true, "best": true, "your": true, "our": true,
}

// nameParticles may stand in lower case inside a person's name.
var nameParticles = map[string]bool{
	"van": true, "von": true, "de": true, "der": true, "den": true, "du": true, "da": true,
	"dos": true, "das": true, "del": true, "la": true, "le": true, "ten": true, "ter": true,
	"bin": true, "al": true, "y": true, "di": true, "zu": true, "el": true, "'t": true,
}

// personName returns s when it reads as a person's name: two to five
// capitalised words (particles aside), no digits, no team words.
func personName(s string) string {
	s = strings.TrimSpace(strings.Trim(s, `"'`))
	words := strings.Fields(s)
	if len(words) < 2 || len(words) > 5 {
		return ""
	}
	caps := 0
	for _, w := range words {
		w = strings.TrimRight(w, ",.")
		if nameParticles[w] {
			continue
		}
		r, _ := utf8.DecodeRuneInString(w)
		f := foldString(w)
		if !unicode.IsUpper(r) || teamWords[f] || strings.Contains(f, "team") || strings.Contains(f, "recruit") {
			return ""
		}
		for _, c := range w {
			if !unicode.IsLetter(c) && c != '-' && c != '\'' && c != '’' && c != '.' {
				return ""
			}
		}
		caps++
	}
	if caps < 2 {
		return ""
	}
	// "Dr. Felix Hartmann" is greeted, and written to, as Felix Hartmann.
	for len(words) > 2 && honorific[strings.ToLower(strings.TrimRight(words[0], "."))] {
		words = words[1:]
	}
	return strings.TrimRight(strings.Join(words, " "), ",.")
}

var honorific = map[string]bool{"dr": true, "prof": true, "mr": true, "mrs": true, "ms": true, "herr": true,
	"frau": true, "mme": true, "m": true, "sr": true, "sra": true, "dhr": true, "mevr": true, "ing": true}

// displayPerson strips the "via Greenhouse", "(Acme)", "| Acme" and
// "from Acme" decorations ATS add to a recruiter's name.
func displayPerson(name string) string {
	// "Lomax, Patricia" is how directories write "Patricia Lomax".
	if last, first, ok := strings.Cut(name, ", "); ok && !strings.ContainsAny(first+last, " ,") {
		name = first + " " + last
	}
	for _, sep := range []string{" via ", " (", " | ", " - ", " – ", " from ", " at ", " @ ", ", "} {
		if i := strings.Index(name, sep); i > 0 {
			name = name[:i]
		}
	}
	return personName(name)
}

// contactName picks the person to greet: the sender when the display name is
// a person, else the person who signed, else the Reply-To's name.
func contactName(m *message.Message, sig []string) string {
	signed := signedName(sig)
	if sameAsRecipient(signed, m) {
		signed = ""
	}
	if n := displayPerson(m.From.Name); n != "" && !sameAsRecipient(n, m) && plausibleSender(n, m, signed) {
		return n
	}
	if signed != "" {
		return signed
	}
	for _, a := range m.ReplyTo {
		if n := displayPerson(a.Name); n != "" {
			return n
		}
	}
	return ""
}

// plausibleSender reports whether a display name that reads as a person's
// is one: robots and shared mailboxes often carry a company's name instead,
// so there the name must also stand in the signature or the address.
func plausibleSender(n string, m *message.Message, signed string) bool {
	key := orgKey(n)
	for _, l := range domainLabels(m) {
		if l != "" && (l == key || strings.HasPrefix(l, key) || strings.HasPrefix(key, l)) {
			return false
		}
	}
	local := m.From.Local()
	if !IsRobot(m.From) && !roleMailboxes[local] {
		return true
	}
	if signed != "" && orgKey(signed) != key {
		return false // a robot's display name is the company; the signer is the person
	}
	if signed != "" && (orgKey(signed) == key || strings.Contains(key, orgKey(signed))) {
		return true
	}
	first := strings.ToLower(foldString(strings.Fields(n)[0]))
	return strings.Contains(local, first) || strings.Contains(m.From.Name, " via ")
}

func sameAsRecipient(name string, m *message.Message) bool {
	if name == "" {
		return false
	}
	for _, a := range m.To {
		if a.Name != "" && foldString(a.Name) == foldString(name) {
			return true
		}
	}
	return false
}

// signedName finds the signer in the signature: the first line after the
// closing that reads as a person's name, taking "Dana Kim | Recruiter" and
// "Dana Kim, Talent Partner" apart.
func signedName(sig []string) string {
	if len(sig) == 0 {
		return ""
	}
	if !isClosing(sig[0]) {
		_, n := unclosedSigner(sig)
		return n
	}
	// "Best, Dana Kim" carries the name on the closing line.
	if i := strings.IndexByte(sig[0], ','); i > 0 {
		if n := personName(firstPart(sig[0][i+1:])); n != "" {
			return n
		}
	}
	first := ""
	for i := 1; i < len(sig) && i < 6; i++ {
		l := strings.TrimSpace(strings.TrimLeft(sig[i], "-–— "))
		// "i. A. Sabine Krüger": signed on behalf of the company.
		for _, p := range []string{"i. A. ", "i.A. ", "i. V. ", "i.V. ", "ppa. ", "pp. ", "p.p. ", "p.o. "} {
			l = strings.TrimPrefix(l, p)
		}
		if l == "" {
			continue
		}
		l = firstPart(l)
		if n := personName(l); n != "" {
			if first == "" || strings.HasPrefix(n, first) {
				return n
			}
			return first
		}
		if first == "" && singleName(l) {
			first = l // "Tomás", with "Tomás Aguirre" perhaps below
			continue
		}
		break
	}
	return first
}

// unclosedSigner finds the signer of a letter without a closing formula: a
// person's name on a line of its own, followed by a job title or an address.
func unclosedSigner(sig []string) (int, string) {
	for i := 0; i+1 < len(sig); i++ {
		n := personName(firstPart(strings.TrimSpace(sig[i])))
		if n == "" {
			continue
		}
		next := strings.TrimSpace(sig[i+1])
		if hasTitleWord(next) || strings.Contains(next, "@") || strings.Contains(sig[i], "|") {
			return i, n
		}
	}
	return -1, ""
}

// singleName reports whether s is one capitalised word that may be a first
// name.
func singleName(s string) bool {
	if strings.ContainsAny(s, " @0123456789") || len(s) < 2 || len(s) > 20 || teamWords[foldString(s)] {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(r) {
		return false
	}
	for _, c := range s {
		if !unicode.IsLetter(c) && c != '-' && c != '\'' {
			return false
		}
	}
	return true
}

func firstPart(l string) string {
	for _, sep := range []string{" | ", " - ", " – ", " — ", ", ", " / ", "|", "\t", "  "} {
		if i := strings.Index(l, sep); i > 0 {
			l = l[:i]
		}
	}
	return strings.TrimSpace(l)
}
