// Command app is mcc's demo program: a small cgo program that mcc links
// static against musl. Its output is deterministic so tests can check it.
package main

/*
#include <stdio.h>

// c_libc names the C library this file was compiled against: musl defines no
// macro of its own, but glibc always defines __GLIBC__.
static const char *c_libc(void) {
#ifdef __GLIBC__
	return "glibc";
#else
	return "musl";
#endif
}

static int c_add(int a, int b) { return a + b; }
*/
import "C"

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"runtime"
)

func main() {
	os.Exit(run(os.Stdout))
}

func run(w io.Writer) int {
	fmt.Fprintf(w, "hello from mcc: C says libc=%s 2+3=%d\n", C.GoString(C.c_libc()), int(C.c_add(2, 3)))
	fmt.Fprintf(w, "arch=%s\n", runtime.GOARCH)
	fmt.Fprintf(w, "user=%s\n", rootName())
	fmt.Fprintf(w, "localhost=%s\n", loopback())
	return 0
}

// rootName looks up uid 0 through the C library (os/user uses getpwuid_r
// when cgo is on); an empty root without /etc/passwd gives "unknown".
func rootName() string {
	u, err := user.LookupId("0")
	if err != nil {
		return "unknown"
	}
	return u.Username
}

// loopback resolves "localhost" and reports its IPv4 address, which every
// resolver returns first-class; the order of IPv4 and IPv6 answers is not
// stable, so only the IPv4 one is printed.
func loopback() string {
	addrs, err := net.LookupHost("localhost")
	if err != nil {
		return "unresolved"
	}
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip != nil && ip.To4() != nil {
			return a
		}
	}
	return "no-ipv4"
}
