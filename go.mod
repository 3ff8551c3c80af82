module github.com/highroad/highroad

go 1.26.0

require (
	github.com/emersion/go-message v0.18.2
	golang.org/x/net v0.62.0
	gopkg.in/yaml.v3 v3.0.1
)

require golang.org/x/text v0.43.0 // indirect
