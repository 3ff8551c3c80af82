package message

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders HTML as plain text the way a reader sees it: block
// elements start new lines, invisible elements are dropped, entities are
// decoded. Blockquotes are rendered as "> " lines so that quote detection
// works on HTML mail too.
func htmlToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	w := textWriter{max: DefaultLimits.MaxText}
	skip := 0
	quote := 0
	var cites []bool // per open blockquote: whether it is a citation
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.String()
		case html.TextToken:
			if skip == 0 && !w.full() {
				w.text(string(z.Text()), min(quote, maxQuoteDepth))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			end := tt == html.EndTagToken
			switch a {
			case atom.Script, atom.Style, atom.Title, atom.Template, atom.Noscript:
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
			case atom.Blockquote:
				// Only a cited blockquote is quoted mail; others indent.
				if end {
					if len(cites) > 0 {
						if cites[len(cites)-1] {
							quote = max(0, quote-1)
						}
						cites = cites[:len(cites)-1]
					}
				} else if tt == html.StartTagToken {
					c := isCite(z)
					cites = append(cites, c)
					if c {
						quote++
					}
				}
				w.paragraph()
			case atom.Br:
				w.newline()
			case atom.P, atom.Div, atom.Tr, atom.Table, atom.Li, atom.Ul, atom.Ol,
				atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Hr,
				atom.Section, atom.Article, atom.Header, atom.Footer, atom.Center:
				w.paragraph()
			case atom.Td, atom.Th:
				w.gap()
			}
		}
	}
}

// maxQuoteDepth bounds the "> " prefixes of nested citations.
const maxQuoteDepth = 8

// isCite reports whether the blockquote start tag z is at marks a quoted
// message: type="cite" (Apple Mail, Thunderbird) or a class naming a quote
// (Gmail's gmail_quote, Outlook's).
func isCite(z *html.Tokenizer) bool {
	for {
		k, v, more := z.TagAttr()
		key, val := string(k), strings.ToLower(string(v))
		if key == "type" && val == "cite" || key == "class" && strings.Contains(val, "quote") {
			return true
		}
		if !more {
			return false
		}
	}
}

// textWriter collects text with HTML's whitespace rules: runs of spaces fold
// into one, and lines only break where elements say so.
type textWriter struct {
	max     int // stop collecting past this many bytes
	b       strings.Builder
	pending string // the line break waiting to be written
	space   bool
	bol     bool // at the beginning of a line
}

func (w *textWriter) text(s string, quote int) {
	for _, f := range strings.FieldsFunc(s, isHTMLSpace) {
		if w.pending != "" {
			w.b.WriteString(w.pending)
			w.pending = ""
			w.bol = true
		}
		if w.bol || w.b.Len() == 0 {
			w.b.WriteString(strings.Repeat("> ", quote))
		} else if w.space || startsWithSpace(s) {
			w.b.WriteByte(' ')
		}
		w.b.WriteString(f)
		w.space, w.bol = false, false
		s = s[strings.Index(s, f)+len(f):]
	}
	if r, _ := utf8.DecodeLastRuneInString(s); len(s) > 0 && isHTMLSpace(r) {
		w.space = true
	}
}

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && isHTMLSpace(r)
}

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

func (w *textWriter) full() bool { return w.max > 0 && w.b.Len() >= w.max }

func (w *textWriter) newline() {
	if w.b.Len() > 0 && w.pending != "\n\n" {
		w.pending += "\n"
	}
	w.space = false
}

func (w *textWriter) paragraph() {
	if w.b.Len() > 0 {
		w.pending = "\n\n"
	}
	w.space = false
}

func (w *textWriter) gap() { w.space = true }

func (w *textWriter) String() string { return w.b.String() + "\n" }
