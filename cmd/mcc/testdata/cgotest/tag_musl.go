//go:build musl

package main

// libc says which file the build tags picked: mcc go sets musl.
const libc = "musl"
