package gobuild

import (
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
)

func TestMakeStatic(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    string // joined args
		wantErr string
	}{
		{"nothing given", []string{"./..."}, "-trimpath -ldflags=-linkmode external -extldflags -static ./...", ""},
		{"user ldflags kept", []string{"-ldflags", "-s -w -X main.v=1", "-o", "app", "."},
			"-trimpath -ldflags=-linkmode external -extldflags -static -s -w -X main.v=1 -o=app .", ""},
		{"user extldflags merged", []string{"-ldflags=-extldflags '-L/x -lfoo'", "."},
			"-trimpath -ldflags=-linkmode external -extldflags '-static -L/x -lfoo' .", ""},
		{"explicit external ok", []string{"-trimpath", "-ldflags=-linkmode=external", "."},
			"-trimpath -ldflags=-linkmode external -extldflags -static .", ""},
		{"pattern form", []string{"-ldflags=all=-s", "."}, "-trimpath -ldflags=all=-linkmode external -extldflags -static -s .", ""},
		{"bool flags pass", []string{"-v", "-x", "./cmd/a"}, "-trimpath -v -x -ldflags=-linkmode external -extldflags -static ./cmd/a", ""},
		{"internal linkmode refused", []string{"-ldflags=-linkmode internal", "."}, "", "-linkmode internal"},
		{"internal linkmode = refused", []string{"-ldflags", "-linkmode=internal", "."}, "", "-linkmode internal"},
		{"dynamic extld refused", []string{"-ldflags=-extldflags=-Wl,-Bdynamic", "."}, "", "-Wl,-Bdynamic"},
		{"shared refused", []string{"-ldflags=-extldflags '-shared'", "."}, "", "-shared"},
		{"pie refused", []string{"-buildmode=pie", "."}, "", "-buildmode=pie"},
		{"c-shared refused", []string{"-buildmode", "c-shared", "."}, "", "-buildmode=c-shared"},
		{"linkshared refused", []string{"-linkshared", "."}, "", "-linkshared"},
		{"missing value", []string{"-o"}, "", "needs a value"},
		{"bad quote", []string{"-ldflags=-X 'a", "."}, "", "unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.args)
			if err == nil {
				p, err = MakeStatic(p)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !badinput.Is(err) {
					t.Fatalf("err = %v, want bad input mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(p.Args(), " "); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSplitQuoted(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a b", []string{"a", "b"}},
		{`-X 'main.v=a b' -s`, []string{"-X", "main.v=a b", "-s"}},
		{`"x y"z`, []string{"x yz"}},
		{`''`, []string{""}},
	}
	for _, tt := range tests {
		got, err := splitQuoted(tt.in)
		if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("splitQuoted(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func FuzzMergeLdflags(f *testing.F) {
	f.Add("-s -w")
	f.Add("-linkmode external -extldflags '-L/x'")
	f.Fuzz(func(t *testing.T, v string) {
		out, err := mergeLdflags(v)
		if err != nil {
			return
		}
		words, err := splitQuoted(strings.TrimPrefix(out, out[:strings.Index(out, "-linkmode")]))
		if err != nil {
			t.Fatalf("merged %q does not re-split: %v", out, err)
		}
		if len(words) < 4 || words[0] != "-linkmode" || words[1] != "external" || !strings.HasPrefix(words[3], "-static") {
			t.Fatalf("merged %q lost the static flags", out)
		}
	})
}
