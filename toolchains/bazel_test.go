package toolchains

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated Bazel target list in repositories.bzl from the target table")

// rulesGoCPU is rules_go's BAZEL_GOARCH_CONSTRAINTS (go/private/platforms.bzl,
// v0.34.0): the GOARCHes it maps to an @platforms CPU; any other GOARCH is
// rules_go's own constraint_value @io_bazel_rules_go//go/toolchain:<goarch>.
var rulesGoCPU = map[string]string{
	"386": "@platforms//cpu:x86_32", "amd64": "@platforms//cpu:x86_64", "arm": "@platforms//cpu:arm",
	"arm64": "@platforms//cpu:aarch64", "ppc64le": "@platforms//cpu:ppc", "s390x": "@platforms//cpu:s390x",
}

// bazelConstraint is the CPU constraint rules_go selects t's Go SDK by.
func bazelConstraint(t Target) string {
	if c, ok := rulesGoCPU[t.GOARCH]; ok {
		return c
	}
	return "@io_bazel_rules_go//go/toolchain:" + t.GOARCH
}

// bazelName is the target as a Bazel name part: linux_arm_v7.
func bazelName(t Target) string { return strings.ReplaceAll(t.Name, "/", "_") }

const (
	bzlBegin = "# BEGIN MUSL_TARGETS"
	bzlEnd   = "# END MUSL_TARGETS"
)

// muslTargetsBzl is the MUSL_TARGETS block of repositories.bzl, made from
// the target table: Bazel's toolchains and platforms are generated from it.
func muslTargetsBzl() string {
	var b strings.Builder
	b.WriteString(bzlBegin + ": generated from toolchains/targets.go by\n")
	b.WriteString("# `go test ./toolchains -run TestBazelTargetsMatchTable -update`; do not edit.\n")
	b.WriteString("# Maps mcc's --target to its Bazel name, the C toolchain's CPU, Debian's\n")
	b.WriteString("# binutils prefix and the CPU constraint rules_go picks the Go SDK by.\n")
	b.WriteString("MUSL_TARGETS = {\n")
	for _, t := range table {
		fmt.Fprintf(&b, "    %q: struct(name = %q, cpu = %q, binutils = %q, constraint = %q),\n",
			t.Name, bazelName(t), strings.SplitN(t.Musl, "-", 2)[0], t.GNU, bazelConstraint(t))
	}
	b.WriteString("}\n" + bzlEnd)
	return b.String()
}

// TestBazelTargetsMatchTable: Bazel's target list is the table's, and
// MODULE.bazel declares and registers every target's toolchain.
func TestBazelTargetsMatchTable(t *testing.T) {
	const bzl = "repositories.bzl"
	b, err := os.ReadFile(bzl)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, bzlBegin), strings.Index(s, bzlEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q block", bzl, bzlBegin, bzlEnd)
	}
	got, want := s[i:j+len(bzlEnd)], muslTargetsBzl()
	if got != want {
		if !*update {
			t.Fatalf("%s's MUSL_TARGETS differs from the target table: run `go test ./toolchains -run %s -update`\ngot:\n%s\nwant:\n%s", bzl, t.Name(), got, want)
		}
		if err := os.WriteFile(bzl, []byte(s[:i]+want+s[j+len(bzlEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mod, err := os.ReadFile("../MODULE.bazel")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ pattern, prefix string }{
		{`"(mcc_musl_[a-z0-9_]+)"`, "mcc_musl_"},      // use_repo
		{`"//toolchains:(musl_[a-z0-9_]+)"`, "musl_"}, // register_toolchains
	} {
		var names, wantNames []string
		for _, m := range regexp.MustCompile(c.pattern).FindAllStringSubmatch(string(mod), -1) {
			names = append(names, m[1])
		}
		for _, tt := range table {
			wantNames = append(wantNames, c.prefix+bazelName(tt))
		}
		sort.Strings(names)
		sort.Strings(wantNames)
		if strings.Join(names, " ") != strings.Join(wantNames, " ") {
			t.Errorf("MODULE.bazel names %v, want %v (one per row of the target table)", names, wantNames)
		}
	}
}

// TestBazelModuleUsesEveryRepo: each repository the module extension
// declares by a literal name (@mcc_pins, the Mono ones, ...) is in
// MODULE.bazel's use_repo, and WORKSPACE mode declares it too: a
// repository added to one mode only is a build that works in one Bazel
// and not the other.
func TestBazelModuleUsesEveryRepo(t *testing.T) {
	ext, err := os.ReadFile("extensions.bzl")
	if err != nil {
		t.Fatal(err)
	}
	repos, err := os.ReadFile("repositories.bzl")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("../MODULE.bazel")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`\bname = "(mcc_[a-z0-9_]+)"[,)]`).FindAllStringSubmatch(string(ext), -1)
	if len(names) < 4 {
		t.Fatalf("extensions.bzl declares %d repositories by name, want at least 4 (go deps, pins, mono sdk, mono runtime)", len(names))
	}
	for _, n := range names {
		if !strings.Contains(string(mod), `"`+n[1]+`"`) {
			t.Errorf("MODULE.bazel's use_repo lacks %q, which extensions.bzl declares", n[1])
		}
		if !strings.Contains(string(repos), `name = "`+n[1]+`"`) {
			t.Errorf("repositories.bzl (WORKSPACE mode) does not declare %q, which extensions.bzl declares", n[1])
		}
	}
}
