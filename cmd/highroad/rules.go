package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

func runRules(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfgPath string
	fs := newFlags("rules", stderr, &cfgPath)
	asJSON := fs.Bool("json", false, "print the rule set as JSON")
	if fs.Parse(args) != nil {
		return 2
	}
	_, c, err := setup(cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "highroad rules:", err)
		return 1
	}
	rs := c.Rules()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rs)
		return 0
	}
	fmt.Fprintf(stdout, "threshold %d, decision rules capped at %d, %d rules\n", rs.Threshold, rs.DecisionCap, len(rs.Rules))
	for _, r := range rs.Rules {
		fmt.Fprintf(stdout, "\n%s  %s %+d in %s", r.ID, r.Signal, r.Weight, r.In)
		if r.Note != "" {
			fmt.Fprintf(stdout, "  (%s)", r.Note)
		}
		fmt.Fprintf(stdout, "\n  %s\n", strings.Join(r.Match, " | "))
	}
	return 0
}
