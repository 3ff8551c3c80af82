package classifier

// Languages the rules and templates cover, as ISO 639-1 codes.
var Languages = []string{"en", "de", "fr", "es", "nl"}

// stopwords are frequent words that belong to one language only (after
// folding); words shared between the languages ("de", "en", "la") are left
// out on purpose.
var stopwords = func() map[string]uint8 {
	lists := [][]string{
		{"the", "and", "you", "your", "we", "to", "of", "for", "with", "have", "that", "this", "our", "thank", "is", "are", "be", "will", "been", "would", "not", "unfortunately", "regards"},
		{"und", "der", "die", "das", "nicht", "wir", "ihre", "ihnen", "sie", "mit", "fur", "ist", "eine", "ein", "auf", "uns", "zu", "haben", "leider", "vielen", "dank", "dass", "sich", "bei", "ihr", "grusse", "freundlichen"},
		{"le", "les", "et", "vous", "votre", "nous", "pour", "des", "une", "est", "pas", "avec", "sur", "dans", "merci", "cordialement", "malheureusement", "nos", "ce", "cette", "au", "aux", "du"},
		{"el", "los", "las", "para", "con", "tu", "su", "nos", "por", "una", "gracias", "hemos", "lamentablemente", "saludos", "tus", "del", "muy", "estamos", "proceso"},
		{"het", "een", "je", "jij", "wij", "niet", "van", "voor", "dat", "op", "bedankt", "helaas", "uw", "ons", "graag", "groet", "hebben", "jouw", "naar", "ook"},
	}
	m := map[string]uint8{}
	for i, l := range lists {
		for _, w := range l {
			m[w] |= 1 << i
		}
	}
	return m
}()

// detectLanguage guesses the language of d (the folded body) by counting
// stopwords in its first few hundred words. English wins ties and empty text.
func detectLanguage(d *doc) string {
	var counts [5]int
	n := min(len(d.words), 250)
	for i := 0; i < n; i++ {
		bits, ok := stopwords[string(d.wordBytes(i))]
		if !ok {
			continue
		}
		for l := range counts {
			if bits&(1<<l) != 0 {
				counts[l]++
			}
		}
	}
	best := 0
	for l := range counts {
		if counts[l] > counts[best] {
			best = l
		}
	}
	return Languages[best]
}
