package install

import (
	"path/filepath"
	"strings"
)

// SystemdUnit renders the unit file. The library's own unit says
// WantedBy=multi-user.target, which a user's systemd never reaches, so a
// user service would never start at login; this one is wanted by
// default.target. Exit status 78 (a refused login or a broken config) is not
// restarted: retrying cannot fix it.
func SystemdUnit(o Options) string {
	var b strings.Builder
	b.WriteString("[Unit]\n")
	b.WriteString("Description=highroad: marks job-application rejections and drafts replies in Drafts\n")
	if o.System {
		b.WriteString("Wants=network-online.target\nAfter=network-online.target\n")
	}
	b.WriteString("StartLimitIntervalSec=600\nStartLimitBurst=5\n")
	b.WriteString("\n[Service]\nType=simple\n")
	b.WriteString("ExecStart=" + systemdQuote(o.Executable) + " run -config " + systemdQuote(o.Config) + "\n")
	b.WriteString("Restart=on-failure\nRestartSec=30\nRestartPreventExitStatus=78\n")
	if o.System {
		if u := serviceUser(); u != "" {
			b.WriteString("User=" + u + "\n")
		}
		b.WriteString("NoNewPrivileges=yes\nPrivateTmp=yes\n")
	}
	b.WriteString("\n[Install]\n")
	if o.System {
		b.WriteString("WantedBy=multi-user.target\n")
	} else {
		b.WriteString("WantedBy=default.target\n")
	}
	return b.String()
}

// systemdQuote quotes a path for ExecStart= when it needs it.
func systemdQuote(p string) string {
	if !strings.ContainsAny(p, " \t\"'\\;$%") {
		return p
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%", "$", "$$")
	return `"` + r.Replace(p) + `"`
}

// logFile is where the launchd agent's output goes.
func logFile(o Options) string {
	if o.System {
		return "/Library/Logs/highroad.log"
	}
	return filepath.Join(o.Home, "Library", "Logs", "highroad.log")
}

// LaunchdPlist renders the launchd property list: started at load (login
// for an agent), restarted when it exits with an error.
func LaunchdPlist(o Options) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + Name + `</string>
	<key>ProgramArguments</key>
	<array>
		<string>` + xmlEscape(o.Executable) + `</string>
		<string>run</string>
		<string>-config</string>
		<string>` + xmlEscape(o.Config) + `</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ThrottleInterval</key>
	<integer>30</integer>
	<key>StandardOutPath</key>
	<string>` + xmlEscape(logFile(o)) + `</string>
	<key>StandardErrorPath</key>
	<string>` + xmlEscape(logFile(o)) + `</string>
</dict>
</plist>
`)
	return b.String()
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}
