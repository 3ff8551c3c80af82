package config

import "strings"

// SelfAddresses are the user's own addresses: the profile's and every
// account username that is an address. Mail from them is never a
// rejection, whichever command judges it.
func (c *Config) SelfAddresses() []string {
	var out []string
	if c.Profile.Address != "" {
		out = append(out, c.Profile.Address)
	}
	for _, a := range c.Accounts {
		if strings.Contains(a.Username, "@") {
			out = append(out, a.Username)
		}
	}
	return out
}

// AddAccount adds an account made in code rather than read from a file
// (the demo's), with the same defaults and checks as one from the file.
func (c *Config) AddAccount(a Account) error {
	a.setDefaults()
	if err := a.validate(func(string) string { return "added account" }); err != nil {
		return err
	}
	c.Accounts = append(c.Accounts, a)
	return nil
}
