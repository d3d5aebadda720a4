package gobuild

import (
	"strings"
	"testing"
)

// Link outputs as go prints them (ld's lines, captured from real links).
const (
	goLinkHead = "# example.com/app\n" +
		"/usr/local/go/pkg/tool/linux_amd64/link: running /cache/entries/musl-linux-amd64-1/bin/cc failed: exit status 1\n"
	fortified = goLinkHead +
		"/usr/bin/ld: /src/app/lib/libfoo.a(foo.o): in function `foo_format':\n" +
		"foo.c:(.text+0x1d): undefined reference to `__memcpy_chk'\n" +
		"/usr/bin/ld: foo.c:(.text+0x3a): undefined reference to `__printf_chk'\n" +
		"/usr/bin/ld: foo.c:(.text+0x5d): undefined reference to `__sprintf_chk'\n" +
		"/usr/bin/ld: /src/app/lib/libfoo.a(foo.o): in function `foo_scan':\n" +
		"foo.c:(.text+0x8b): undefined reference to `__isoc99_sscanf'\n" +
		"collect2: error: ld returned 1 exit status\n"
	noDebugInfo = goLinkHead +
		"/usr/lib/gcc-cross/aarch64-linux-gnu/12/../../../../aarch64-linux-gnu/bin/ld: /m/librdkafka_glibc_linux_arm64.a(rdkafka.o):(.text+0x10): undefined reference to `getcontext'\n" +
		"/usr/lib/gcc-cross/aarch64-linux-gnu/12/../../../../aarch64-linux-gnu/bin/ld: /m/librdkafka_glibc_linux_arm64.a(rdkafka.o):(.text+0x40): undefined reference to `makecontext'\n"
	versioned = goLinkHead +
		"/usr/bin/ld: /tmp/go-link-1/000004.o: undefined reference to symbol 'memcpy@@GLIBC_2.14'\n"
	otherFailure = goLinkHead +
		"/usr/bin/ld: /src/app/lib/libbar.a(bar.o): in function `bar':\n" +
		"bar.c:(.text+0x9): undefined reference to `baz_init'\n" +
		"/usr/bin/ld: bar.c:(.text+0x19): undefined reference to `__stack_chk_fail'\n"
	twoObjects = goLinkHead +
		"/usr/bin/ld: /x/liba.a(a.o): in function `a':\n" +
		"a.c:(.text+0x9): undefined reference to `a_helper'\n" +
		"/usr/bin/ld: /x/libb.a(b.o): in function `b':\n" +
		"b.c:(.text+0x9): undefined reference to `__fprintf_chk'\n" +
		"/usr/bin/ld: b.c:(.text+0x19): undefined reference to `__fprintf_chk'\n" +
		"/usr/bin/ld: b.c:(.text+0x29): undefined reference to `__xstat64'\n" +
		"/usr/bin/ld: b.c:(.text+0x39): undefined reference to `__libc_single_threaded'\n" +
		"/usr/bin/ld: b.c:(.text+0x49): undefined reference to `__read_chk'\n" +
		"/usr/bin/ld: /x/libc2.a(c.o): in function `c':\n" +
		"c.c:(.text+0x9): undefined reference to `__isoc23_strtol'\n"
)

func TestGlibcDiagnosis(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		muslTag bool
		want    []string // substrings; nil: no diagnosis
	}{
		{"fortified archive", fortified, true, []string{
			"/src/app/lib/libfoo.a(foo.o) was compiled for glibc: it needs __memcpy_chk, __printf_chk, __sprintf_chk, ...,",
			"musl build", "which mcc already sets"}},
		{"no debug info, cross ld", noDebugInfo, true, []string{
			"/m/librdkafka_glibc_linux_arm64.a(rdkafka.o) was compiled for glibc: it needs getcontext, makecontext, which musl"}},
		{"versioned symbol", versioned, true, []string{"/tmp/go-link-1/000004.o was compiled for glibc: it needs memcpy@@GLIBC_2.14,"}},
		{"tag turned off", noDebugInfo, false, []string{"MCC_MUSL_TAG=0 turned off"}},
		{"not glibc's fault", otherFailure, true, nil},
		{"first glibc object named, others counted", twoObjects, true, []string{
			"/x/libb.a(b.o) (and 1 more) was compiled for glibc: it needs __fprintf_chk, __xstat64, __libc_single_threaded, ...,"}},
		{"compile error", "# app\n./main.go:3:2: undefined: x\n", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := GlibcDiagnosis(tt.out, tt.muslTag)
			if tt.want == nil {
				if got != "" {
					t.Fatalf("got a diagnosis for a non-glibc failure: %s", got)
				}
				return
			}
			if strings.Contains(got, "\n") {
				t.Fatalf("diagnosis is not one line: %q", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("diagnosis %q lacks %q", got, w)
				}
			}
		})
	}
}

func TestGlibcOnly(t *testing.T) {
	tests := []struct {
		sym  string
		want bool
	}{
		{"__printf_chk", true}, {"__memcpy_chk", true}, {"__longjmp_chk", true},
		{"__stack_chk_fail", false}, {"__stack_chk_guard", false},
		{"__isoc99_sscanf", true}, {"__isoc23_strtol", true},
		{"getcontext", true}, {"makecontext", true}, {"swapcontext", true},
		{"memcpy@GLIBC_2.2.5", true}, {"memcpy@@GLIBC_2.14", true},
		{"__libc_single_threaded", true}, {"__libc_start_main", false},
		{"__xstat", true}, {"__errno_location", false}, {"printf", false}, {"sqlite3_open", false},
	}
	for _, tt := range tests {
		if got := GlibcOnly(tt.sym); got != tt.want {
			t.Errorf("GlibcOnly(%q) = %v, want %v", tt.sym, got, tt.want)
		}
	}
}
