module github.com/mcc-build/mcc

go 1.26.0

require (
	github.com/spf13/pflag v1.1.0
	golang.org/x/term v0.47.0
)

require golang.org/x/sys v0.49.0 // indirect
