package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

func TestRunOutput(t *testing.T) {
	var out bytes.Buffer
	if code := run(&out); code != 0 {
		t.Fatalf("run() = %d, want 0", code)
	}
	got := out.String()
	for _, want := range []string{
		"hello from mcc: C says libc=",
		" 2+3=5\n",
		"arch=" + runtime.GOARCH + "\n",
		"user=",
		"localhost=",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q lacks %q", got, want)
		}
	}
}
