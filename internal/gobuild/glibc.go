package gobuild

import (
	"fmt"
	"regexp"
	"strings"
)

// A static link against musl fails on C code compiled for glibc with pages
// of undefined references; GlibcDiagnosis turns them into one line that
// says which archive or object it is and what to do.

// undefinedRef matches GNU ld's "undefined reference to `sym'" (quotes
// differ by locale) and its "undefined reference to symbol 'sym@@GLIBC_x'".
var undefinedRef = regexp.MustCompile("undefined reference to (?:symbol )?[`'‘\"]([^`'’\"]+)[`'’\"]")

// glibcOnlyNames are glibc symbols musl has no counterpart for, which code
// compiled against glibc's headers references: ucontext, the stat
// wrappers of glibc < 2.33, libstdc++'s thread hooks.
var glibcOnlyNames = map[string]bool{
	"getcontext": true, "makecontext": true, "swapcontext": true, "setcontext": true,
	"__xstat": true, "__fxstat": true, "__lxstat": true, "__fxstatat": true, "__xmknod": true,
	"__xstat64": true, "__fxstat64": true, "__lxstat64": true, "__fxstatat64": true,
	"__register_atfork": true, "__cxa_thread_atexit_impl": true, "__sched_cpucount": true,
	"__open_2": true, "__open64_2": true, "__openat_2": true, "__openat64_2": true,
	"__strdup": true, "__rawmemchr": true, "gnu_get_libc_version": true, "__res_nquery": true,
}

// GlibcOnly says whether sym is defined by glibc and not by musl, so an
// object that references it was built for glibc.
func GlibcOnly(sym string) bool {
	switch {
	case strings.Contains(sym, "@GLIBC_"):
		return true
	case strings.HasPrefix(sym, "__") && strings.HasSuffix(sym, "_chk"):
		// _FORTIFY_SOURCE's checked calls; musl defines only the stack protector's.
		return !strings.HasPrefix(sym, "__stack_chk")
	case strings.HasPrefix(sym, "__isoc99_"), strings.HasPrefix(sym, "__isoc23_"):
		return true
	case strings.HasPrefix(sym, "__libc_"):
		return sym != "__libc_start_main" // musl's crt1 calls its own
	}
	return glibcOnlyNames[sym]
}

// GlibcDiagnosis reads a failed link's output and, when it has undefined
// references to glibc-only symbols, returns one line naming the first
// archive or object that holds them and up to three of the symbols; "" when
// the failure is something else.
func GlibcDiagnosis(output string, muslTag bool) string {
	var first string
	syms := map[string][]string{}
	objects := 0
	where := ""
	for _, line := range strings.Split(output, "\n") {
		if obj, ok := inFunction(line); ok {
			where = obj
			continue
		}
		m := undefinedRef.FindStringSubmatch(line)
		if m == nil || !GlibcOnly(m[1]) {
			continue
		}
		obj := objectOf(line, where)
		if _, seen := syms[obj]; !seen {
			objects++
			if first == "" {
				first = obj
			}
		}
		if !contains(syms[obj], m[1]) {
			syms[obj] = append(syms[obj], m[1])
		}
	}
	if first == "" {
		return ""
	}
	names := syms[first]
	more := ""
	if len(names) > 3 {
		names, more = names[:3], ", ..."
	}
	others := ""
	if objects > 1 {
		others = fmt.Sprintf(" (and %d more)", objects-1)
	}
	fix := "link a musl build of that library instead (rebuild it with the cc that `mcc toolchain path` prints); Go packages that ship one select it by the musl build tag, "
	if muslTag {
		fix += "which mcc already sets"
	} else {
		fix += "which MCC_MUSL_TAG=0 turned off: unset it"
	}
	return fmt.Sprintf("%s%s was compiled for glibc: it needs %s%s, which musl does not define: %s",
		first, others, strings.Join(names, ", "), more, fix)
}

// inFunction reads ld's context line "ld: OBJ: in function `f':" (or
// "ld: OBJ: in function `f'" without a colon in older binutils).
func inFunction(line string) (string, bool) {
	i := strings.Index(line, ": in function ")
	if i < 0 {
		return "", false
	}
	return stripLinker(line[:i]), true
}

// objectOf names the object of an undefined-reference line: the line's own
// "ld: OBJ:(.text+0x1): undefined ..." or "ld: OBJ: undefined ...", else the
// object of the last context line (the line then names a source file).
func objectOf(line, where string) string {
	i := strings.Index(line, "undefined reference")
	head := strings.TrimSuffix(strings.TrimSpace(line[:i]), ":")
	if j := strings.Index(head, ":("); j >= 0 {
		head = head[:j]
	}
	head = stripLinker(head)
	if where != "" && !strings.HasSuffix(head, ".o)") && !strings.HasSuffix(head, ".a") && !strings.HasSuffix(head, ".o") {
		return where
	}
	if head == "" {
		return where
	}
	return head
}

// stripLinker drops the "/usr/bin/ld: " (or "collect2: "-style) prefix.
func stripLinker(s string) string {
	if i := strings.Index(s, "ld: "); i >= 0 && !strings.Contains(s[:i], " ") {
		return s[i+len("ld: "):]
	}
	return s
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
