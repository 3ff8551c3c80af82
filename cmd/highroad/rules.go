package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
)

var rulesCommand = &command{
	name: "rules", noArgs: true,
	summary: "print the rules in effect (defaults plus your changes)",
	flags: func(fs *flag.FlagSet) func(*env) error {
		asJSON := fs.Bool("json", false, "print the rule set as JSON")
		return func(e *env) error {
			a, err := load(e.config)
			if err != nil {
				return err
			}
			rs := a.classifier.Rules()
			if *asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rs)
			}
			fmt.Fprintf(e.stdout, "threshold %d, decision rules capped at %d, %d rules\n", rs.Threshold, rs.DecisionCap, len(rs.Rules))
			for _, r := range rs.Rules {
				fmt.Fprintf(e.stdout, "\n%s  %s %+d in %s", r.ID, r.Signal, r.Weight, r.In)
				if r.Note != "" {
					fmt.Fprintf(e.stdout, "  (%s)", r.Note)
				}
				fmt.Fprintf(e.stdout, "\n  %s\n", strings.Join(r.Match, " | "))
			}
			return nil
		}
	},
}
