package badinput

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestIs(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", errors.New("disk full"), false},
		{"Errorf", Errorf("no pin named %q", "x"), true},
		{"Wrap", Wrap(fs.ErrNotExist), true},
		{"wrapped again", fmt.Errorf("fetching: %w", Errorf("bad")), true},
		{"in a join", errors.Join(errors.New("a"), Wrap(errors.New("b"))), true},
	}
	for _, tt := range tests {
		if got := Is(tt.err); got != tt.want {
			t.Errorf("%s: Is = %v, want %v", tt.name, got, tt.want)
		}
	}
	if Wrap(nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
	if err := Wrap(fs.ErrNotExist); !errors.Is(err, fs.ErrNotExist) || err.Error() != fs.ErrNotExist.Error() {
		t.Errorf("Wrap hides its error: %v", err)
	}
	if err := Errorf("pin %s: %w", "x", fs.ErrPermission); !errors.Is(err, fs.ErrPermission) || err.Error() != "pin x: permission denied" {
		t.Errorf("Errorf: %v", err)
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"two\nlines", "two lines"},
		{"  padded\t\r\n", "padded"},
		{"a\n\n  b", "a b"},
		{"CN=Root\x1b[31m", "CN=Root [31m"},
		{"del\x7fchar", "del char"},
		{"ünïcode stays", "ünïcode stays"},
	}
	for _, tt := range tests {
		if got := OneLine(tt.in); got != tt.want {
			t.Errorf("OneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
