package classifier_test

import (
	"testing"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/message"
)

// TestNegationAndLanguage pins verdicts on sentences where a negation or a
// language decides.
func TestNegationAndLanguage(t *testing.T) {
	c, err := classifier.New(classifier.Default())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, subject, text string
		want                bool
	}{
		{"negated decision", "Your application", "Hi Sam,\n\nWe have not selected another candidate and have not decided against your application; the hiring team is still reviewing it.\n", false},
		{"spanish invitation with no", "Entrevista", "Hola Ana,\n\nSi no puedes asistir, te invitamos a elegir otro horario para la entrevista del puesto.\n", false},
		{"french invitation with pas", "Entretien", "Bonjour,\n\nNe vous inquiétez pas, vous êtes sélectionné pour un entretien pour le poste.\n", false},
		{"french rejection ne pas", "Votre candidature", "Bonjour,\n\nNous sommes au regret de vous informer que votre candidature au poste n'a pas été retenue.\n", true},
		{"shan't", "Your application", "Hi,\n\nThank you for applying for the role. We shan't be moving forward with your application.\n", true},
	}
	for _, tc := range cases {
		res := c.Classify(&message.Message{Subject: tc.subject, Text: tc.text, From: message.Address{Addr: "hr@example.com"}})
		if res.Rejection != tc.want {
			t.Errorf("Classify(%s) = %v (score %d, %v), want %v", tc.name, res.Rejection, res.Score, res.Hits, tc.want)
		}
	}
}

func TestRobotsAndAddresses(t *testing.T) {
	for addr, robot := range map[string]bool{
		"no.reply@acme.com": true, "do.not.reply@acme.com": true, "noreply@x.io": true,
		"jobs@greenhouse-mail.io": true, "dana.okafor@acme.com": false, "dpowell@acme.com": false,
	} {
		if got := classifier.IsRobot(message.Address{Addr: addr}); got != robot {
			t.Errorf("IsRobot(%q) = %v, want %v", addr, got, robot)
		}
	}
	for addr, ok := range map[string]bool{
		"dana@acme.com": true, "dana\u202e@acme.com": false, "=?utf-8?q?x?=@acme.com": false,
		"0000\xff0@": false, "dana@localhost": false, "a b@c.d": false,
	} {
		if got := classifier.ValidAddress(addr); got != ok {
			t.Errorf("ValidAddress(%q) = %v, want %v", addr, got, ok)
		}
	}
}
