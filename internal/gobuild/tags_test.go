package gobuild

import (
	"strings"
	"testing"
)

func TestMuslTagMerged(t *testing.T) {
	tests := []struct {
		name string
		verb string
		args []string
		env  []string
		want string // joined args after the verb
	}{
		{"added", "build", []string{"."}, nil,
			"-tags=musl -trimpath -ldflags=-linkmode external -extldflags -static ."},
		{"comma list", "build", []string{"-tags=a,b", "."}, nil,
			"-tags=a,b,musl -trimpath -ldflags=-linkmode external -extldflags -static ."},
		{"space list", "build", []string{"-tags", "a b", "."}, nil,
			"-tags=a,b,musl -trimpath -ldflags=-linkmode external -extldflags -static ."},
		{"repeated: go keeps the last", "build", []string{"-tags=a", "-o", "x", "--tags=b,c", "."}, nil,
			"-tags=b,c,musl -trimpath -o=x -ldflags=-linkmode external -extldflags -static ."},
		{"already there", "build", []string{"-tags=musl,a", "."}, nil,
			"-tags=musl,a -trimpath -ldflags=-linkmode external -extldflags -static ."},
		{"empty tags", "build", []string{"-tags=", "."}, nil,
			"-tags=musl -trimpath -ldflags=-linkmode external -extldflags -static ."},
		{"GOFLAGS tags kept", "build", []string{"."}, []string{"GOFLAGS=-mod=mod -tags=x,y"},
			"-tags=x,y,musl -trimpath -ldflags=-linkmode external -extldflags -static ."},
		{"command line beats GOFLAGS", "build", []string{"-tags=a", "."}, []string{"GOFLAGS=-tags=x"},
			"-tags=a,musl -trimpath -ldflags=-linkmode external -extldflags -static ."},
		{"turned off", "build", []string{"-tags=a", "."}, []string{"MCC_MUSL_TAG=0"},
			"-trimpath -tags=a -ldflags=-linkmode external -extldflags -static ."},
		{"off: false", "build", []string{"."}, []string{"MCC_MUSL_TAG=false"},
			"-trimpath -ldflags=-linkmode external -extldflags -static ."},
		{"on: 1", "build", []string{"."}, []string{"MCC_MUSL_TAG=1"},
			"-tags=musl -trimpath -ldflags=-linkmode external -extldflags -static ."},
		{"vet gets it, nothing else", "vet", []string{"./..."}, nil, "-tags=musl ./..."},
		{"list gets it", "list", []string{"-f", "{{.Name}}", "."}, nil, "-tags=musl -f={{.Name}} ."},
		{"vet off: untouched", "vet", []string{"-printf", "./..."}, []string{"MCC_MUSL_TAG=0"}, "-printf ./..."},
		{"run: program args untouched", "run", []string{".", "-tags", "z"}, nil,
			"-tags=musl -trimpath -ldflags=-linkmode external -extldflags -static . -tags z"},
		{"test: -tags after the packages gets musl too", "test", []string{"./...", "-tags", "a", "-run=X", "-args", "-tags", "b"}, nil,
			"-tags=musl -trimpath -ldflags=-linkmode external -extldflags -static ./... -tags a,musl -run=X -args -tags b"},
		{"test: -tags= after the packages", "test", []string{"-v", ".", "--tags=a b"}, nil,
			"-tags=musl -trimpath -v -ldflags=-linkmode external -extldflags -static . -tags=a,b,musl"},
		{"mod verbs untouched", "mod", []string{"tidy"}, nil, "tidy"},
		{"env untouched", "env", []string{"GOFLAGS"}, nil, "GOFLAGS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, _, err := Command(Options{Verb: tt.verb, Args: tt.args, Env: tt.env})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(args[1:], " "); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSplitTags(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a", "a"},
		{"a,b", "a|b"},
		{"a b  c", "a|b|c"},
		{"a, b", "a|b"}, // a comma list wins; spaces around items dropped
		{",a,,", "a"},
	}
	for _, tt := range tests {
		if got := strings.Join(splitTags(tt.in), "|"); got != tt.want {
			t.Errorf("splitTags(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGoFlagsForEnv(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{nil, "-trimpath '-ldflags=-linkmode external -extldflags -static' -tags=musl"},
		{[]string{"MCC_MUSL_TAG=off"}, "-trimpath '-ldflags=-linkmode external -extldflags -static'"},
		{[]string{"MCC_MUSL_TAG=0", "MCC_MUSL_TAG=yes"}, "-trimpath '-ldflags=-linkmode external -extldflags -static' -tags=musl"},
	}
	for _, tt := range tests {
		if got := GoFlags(tt.env); got != tt.want {
			t.Errorf("GoFlags(%q) = %q, want %q", tt.env, got, tt.want)
		}
	}
}
