package classifier

import (
	"unicode"
	"unicode/utf8"
)

// doc is a text folded for matching: lower case, diacritics removed, every
// run of non-word characters turned into one space, and sentence ends kept as
// a "." word so that phrases and gaps never run across sentences.
type doc struct {
	buf   []byte
	words []span
}

type span struct{ start, end int32 }

// wordBytes returns word i without copying; callers must not keep it.
func (d *doc) wordBytes(i int) []byte { return d.buf[d.words[i].start:d.words[i].end] }

func (d *doc) isStop(i int) bool {
	w := d.words[i]
	return w.end-w.start == 1 && d.buf[w.start] == '.'
}

// text returns the folded text of words i through j inclusive.
func (d *doc) text(i, j int) string { return string(d.buf[d.words[i].start:d.words[j].end]) }

func (d *doc) reset() {
	d.buf = d.buf[:0]
	d.words = d.words[:0]
}

// fold appends the folded form of s to d, at most maxBytes of input.
func (d *doc) fold(s string, maxBytes int) {
	if len(s) > maxBytes {
		s = s[:maxBytes]
	}
	inWord := false
	newlines := 0
	for i := 0; i < len(s); {
		c := s[i]
		var r rune
		size := 1
		if c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			inWord = d.letter(inWord, c)
			newlines = 0
		case c >= 'A' && c <= 'Z':
			inWord = d.letter(inWord, c+'a'-'A')
			newlines = 0
		case r == '\'' || r == '’' || r == '‘' || r == '`' || r == '´':
			// An apostrophe belongs to the word only between letters: "won't".
			if inWord && i < len(s) && isWordByte(s[i]) {
				d.buf = append(d.buf, '\'')
			} else {
				inWord = d.endWord(inWord)
			}
		case r == '.' || r == '!' || r == '?' || r == ';' || r == '…':
			if i >= len(s) || s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t' {
				inWord = d.endWord(inWord)
				d.stop()
			} else {
				inWord = d.endWord(inWord)
			}
		case r == '\n':
			inWord = d.endWord(inWord)
			newlines++
			if newlines == 2 {
				d.stop()
			}
		case c < utf8.RuneSelf:
			inWord = d.endWord(inWord)
			if c != ' ' && c != '\r' && c != '\t' {
				newlines = 0
			}
		default:
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				inWord = d.foldRune(inWord, r)
				newlines = 0
			} else {
				inWord = d.endWord(inWord)
			}
		}
	}
	d.endWord(inWord)
	d.stop()
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func (d *doc) letter(inWord bool, c byte) bool {
	if !inWord {
		d.startWord()
	}
	d.buf = append(d.buf, c)
	return true
}

func (d *doc) startWord() {
	if len(d.buf) > 0 {
		d.buf = append(d.buf, ' ')
	}
	d.words = append(d.words, span{start: int32(len(d.buf))})
}

func (d *doc) endWord(inWord bool) bool {
	if inWord {
		d.words[len(d.words)-1].end = int32(len(d.buf))
	}
	return false
}

// stop records a sentence end, once.
func (d *doc) stop() {
	if n := len(d.words); n == 0 || d.isStop(n-1) {
		return
	}
	d.startWord()
	d.buf = append(d.buf, '.')
	d.endWord(true)
}

func (d *doc) foldRune(inWord bool, r rune) bool {
	if !inWord {
		d.startWord()
	}
	r = unicode.ToLower(r)
	if s, ok := plain[r]; ok {
		d.buf = append(d.buf, s...)
	} else {
		d.buf = utf8.AppendRune(d.buf, r)
	}
	return true
}

// plain maps the accented letters of the supported languages to ASCII, so
// that rules match whether or not a sender typed the accents.
var plain = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae",
	'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ñ': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'œ': "oe",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ß': "ss",
	'ĳ': "ij",
}

// foldString folds s the way doc.fold does, into words separated by single
// spaces, without sentence marks.
func foldString(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			case c == '\'' && len(b) > 0 && !space && i < len(s) && isWordByte(s[i]):
			default:
				space = len(b) > 0
				continue
			}
			if space {
				b = append(b, ' ')
				space = false
			}
			b = append(b, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == '’' && len(b) > 0 && !space && i < len(s) && isWordByte(s[i]) {
			b = append(b, '\'')
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			space = len(b) > 0
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		r = unicode.ToLower(r)
		if p, ok := plain[r]; ok {
			b = append(b, p...)
		} else {
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}
