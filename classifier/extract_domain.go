package classifier

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/highroad/highroad/message"
)

// domainPhrase finds where the text writes out the sender's domain label:
// "Stadtwerke Talheim" for stadtwerke-talheim.de. An exact spelling wins;
// else the shortest run of capitalised words whose folded form begins with
// the label.
func domainPhrase(label string, texts ...[]word) string {
	if len(label) < 4 {
		return ""
	}
	exact, prefix := "", ""
	for _, ws := range texts {
		keys := make([]string, len(ws)) // folded lazily, once per word
		key := func(j int) string {
			if keys[j] == "" {
				keys[j] = orgKey(ws[j].text)
			}
			return keys[j]
		}
		for i := range ws {
			// Cheap test first: a run can only match if its first word
			// begins with the label's first letter.
			if !capitalised(ws[i].text) || !startsLike(ws[i].text, label) {
				continue
			}
			run, runKey := "", ""
			for j := i; j < len(ws) && j < i+4; j++ {
				if j > i && !capitalised(ws[j].text) && !orgConnectors[ws[j].text] {
					break
				}
				if run != "" {
					run += " "
				}
				run += ws[j].text
				runKey += key(j)
				if !strings.HasPrefix(runKey, label) && !strings.HasPrefix(label, runKey) {
					break
				}
				if runKey == label && exact == "" {
					exact = widen(ws, i, run)
				} else if strings.HasPrefix(runKey, label) && runKey != label && (prefix == "" || len(run) < len(prefix)) {
					prefix = run
				}
				if ws[j].stop {
					break
				}
			}
		}
	}
	if exact != "" {
		return exact
	}
	return prefix
}

// startsLike reports whether w's first letter, folded, is label's first.
func startsLike(w, label string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	r = unicode.ToLower(r)
	if f, ok := plain[r]; ok {
		return f[0] == label[0]
	}
	return r < utf8.RuneSelf && byte(r) == label[0]
}

// widen prefixes a found name with the capitalised words just before it
// ("Grupo" to "Textil Anáhuac"), unless they start a sentence.
func widen(ws []word, i int, run string) string {
	for n := 0; n < 2 && i > 1; n++ {
		prev := ws[i-1]
		if prev.stop || !capitalised(prev.text) && !orgConnectors[prev.text] || ws[i-2].stop && !ws[i-2].eol ||
			notOrg[strings.ToLower(prev.text)] || orgLead[foldString(prev.text)] || hasTitleWord(prev.text) {
			break
		}
		run, i = prev.text+" "+run, i-1
	}
	return run
}

// freemail are mailbox providers whose domain says nothing of the employer.
var freemail = map[string]bool{
	"gmail": true, "googlemail": true, "outlook": true, "hotmail": true, "yahoo": true, "icloud": true,
	"me": true, "mac": true, "gmx": true, "web": true, "orange": true, "free": true, "laposte": true,
	"proton": true, "protonmail": true, "live": true, "aol": true, "t-online": true, "tonline": true,
	"ziggo": true, "kpnmail": true, "hetnet": true, "telefonica": true, "wanadoo": true, "sfr": true,
	"fastmail": true, "mail": true, "email": true, "posteo": true, "mailbox": true, "example": true,
}

// domainLabels returns the organisation part of the sender's domains:
// "northwind" for jobs.northwind.com; for an ATS, the company sub-domain
// or mailbox ("acme" in acme@myworkday.com) when it has one.
func domainLabels(m *message.Message) []string {
	var out []string
	addrs := append([]message.Address{m.From}, m.ReplyTo...)
	for _, a := range addrs {
		d := a.Domain()
		if d == "" {
			continue
		}
		parts := strings.Split(d, ".")
		if matchAnyDomain(d, atsDomains) {
			if len(parts) > 2 && !isRobotWord(parts[0]) && parts[0] != "hire" && parts[0] != "us" && parts[0] != "eu" && parts[0] != "mail" {
				out = append(out, orgKey(parts[0]))
			} else if !isRobotWord(a.Local()) && !IsRobotLocal(a.Local()) {
				out = append(out, orgKey(a.Local()))
			}
			continue
		}
		label := registrable(parts)
		if !freemail[label] {
			k := orgKey(label)
			out = append(out, k)
			// Domains spell ä, ö, ü as ae, oe, ue: schaefer-elektrotechnik.de.
			if alt := umlauts.Replace(k); alt != k {
				out = append(out, alt)
			}
		}
	}
	return out
}

func isRobotWord(s string) bool {
	switch s {
	case "jobs", "careers", "mail", "email", "noreply", "no-reply", "notifications", "talent", "recruiting", "hr", "info", "apply", "app":
		return true
	}
	return false
}

// IsRobotLocal reports whether a local part alone marks a robot.
func IsRobotLocal(local string) bool { return IsRobot(message.Address{Addr: local + "@x.invalid"}) }

// registrable returns the label before the public suffix, handling the
// two-part suffixes common in the supported countries (co.uk, com.es...).
func registrable(parts []string) string {
	n := len(parts)
	if n < 2 {
		return ""
	}
	if n >= 3 && (parts[n-2] == "co" || parts[n-2] == "com" || parts[n-2] == "org" || parts[n-2] == "ac") {
		return parts[n-3]
	}
	return parts[n-2]
}

// umlauts undoes the ae, oe, ue spelling of ä, ö, ü in domains.
var umlauts = strings.NewReplacer("ae", "a", "oe", "o", "ue", "u")
