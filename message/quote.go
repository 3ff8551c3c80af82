package message

import (
	"regexp"
	"strings"
)

// attribution matches the line a mail client writes above a quoted message,
// in the languages highroad supports. It is tried only on lines ending in
// ":" (or the line joined with the next, for wrapped attributions).
var attribution = regexp.MustCompile(`(?i)^(on\s.{4,240}\swrote|am\s.{4,240}\sschrieb.{0,120}|le\s.{4,240}\sa\s+[ée]crit|el\s.{4,240}\sescribi[óo]|op\s.{4,240}\sschreef.{0,120}|.{0,240}(\d|@|>).{0,240}\s(wrote|schrieb|a\s+[ée]crit|escribi[óo]|schreef))\s*:$`)

// separator matches the lines Outlook and others put above a forwarded or
// quoted message.
var separator = regexp.MustCompile(`(?i)^(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|oorspronkelijk bericht|forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|doorgestuurd bericht)\s*-{2,}|_{10,})\s*$`)

// headerBlock matches the "From: ..." line of an Outlook-style quoted header
// and the "Sent: ..." line that follows it within a few lines.
var (
	headerFrom = regexp.MustCompile(`(?i)^\*?(from|von|de|van)\s?:\*?\s+\S`)
	headerSent = regexp.MustCompile(`(?i)^\*?(sent|gesendet|envoy[ée]|enviado|verzonden|date|datum|fecha|to|an|à|para|aan)\s?:`)
)

// splitQuoted separates the new text of a message from the earlier
// conversation quoted in it. The new text ends at the first attribution
// line, separator or Outlook-style header block; "> " lines anywhere are
// quoted.
func splitQuoted(s string) (text, quoted string) {
	lines := strings.Split(s, "\n")
	var nt, qt []string
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if quoteStart(lines, i, line) {
			qt = append(qt, lines[i:]...)
			break
		}
		if strings.HasPrefix(line, ">") {
			qt = append(qt, lines[i])
			continue
		}
		nt = append(nt, strings.TrimRight(lines[i], " "))
	}
	return trimBlank(nt), trimBlank(qt)
}

func quoteStart(lines []string, i int, line string) bool {
	if line == "" {
		return false
	}
	if strings.HasSuffix(line, ":") && attribution.MatchString(line) {
		return true
	}
	if i+1 < len(lines) {
		next := strings.TrimSpace(lines[i+1])
		if strings.HasSuffix(next, ":") && len(next) < 40 && attribution.MatchString(line+" "+next) {
			return true
		}
	}
	if line[0] == '-' && separator.MatchString(line) {
		return true
	}
	// Outlook's line of underscores is a separator only above a header block.
	if line[0] == '_' && separator.MatchString(line) && i+1 < len(lines) && headerFrom.MatchString(strings.TrimSpace(nextNonEmpty(lines, i+1))) {
		return true
	}
	if headerFrom.MatchString(line) {
		for j := i + 1; j < len(lines) && j <= i+3; j++ {
			if headerSent.MatchString(strings.TrimSpace(lines[j])) {
				return true
			}
		}
	}
	return false
}

func nextNonEmpty(lines []string, i int) string {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "" {
			return lines[i]
		}
	}
	return ""
}

// trimBlank joins lines, dropping leading and trailing blank lines and
// folding runs of blank lines into one.
func trimBlank(lines []string) string {
	var b strings.Builder
	blank := false
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			blank = b.Len() > 0
			continue
		}
		if blank {
			b.WriteByte('\n')
		}
		blank = false
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
