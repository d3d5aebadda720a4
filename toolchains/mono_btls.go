package toolchains

import (
	"os"
	"path/filepath"
	"strconv"
)

// buildBTLS builds BoringSSL and Mono's BTLS glue (mono/btls) with cmake
// and the runtime's musl compiler into buildDir/btlsArchive. Only the
// mono-btls-static target (patch 0003) is built: not Mono's shared
// library, nor BoringSSL's tests and tools (they are off by default in
// Mono's copy and skipped when unpacking).
func buildBTLS(r *runner, arch monoArch, srcDir, buildDir, cc string, jobs int) error {
	if err := os.MkdirAll(buildDir, 0o755); err != nil {
		return err
	}
	// perlasm writes the assembly sources into the build directory.
	cc += " -ffile-prefix-map=" + buildDir + "=/btls"
	cr := &runner{ctx: r.ctx, dir: buildDir, log: r.log, env: append(append([]string{}, r.env...), "CC="+cc, "CXX="+cc)}
	// Release with -O2 as the rest of the runtime; -g0 last, as BoringSSL
	// adds -ggdb and the archives are kept for relinks (mono_link.go).
	release := "-O2 -DNDEBUG -g0"
	args := []string{"cmake", "-G", "Unix Makefiles",
		"-DCMAKE_BUILD_TYPE=Release",
		"-DCMAKE_C_FLAGS_RELEASE=" + release, "-DCMAKE_CXX_FLAGS_RELEASE=" + release, "-DCMAKE_ASM_FLAGS_RELEASE=-g0",
		// Always a cross build as far as cmake knows: it must not probe the
		// host, and the compiler checks must not run a musl program.
		"-DCMAKE_SYSTEM_NAME=Linux", "-DCMAKE_SYSTEM_PROCESSOR=" + arch.processor, "-DBTLS_ARCH=" + arch.processor,
		"-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY",
		// mono/btls would use a ccache it finds, whose cache is not an input.
		"-DCCACHE_PROGRAM=CCACHE_PROGRAM-NOTFOUND",
		"-DBTLS_ROOT=" + filepath.Join(srcDir, "external", "boringssl"),
		"-DSRC_DIR=" + filepath.Join(srcDir, "mono", "btls"),
		filepath.Join(srcDir, "mono", "btls"),
	}
	if err := cr.run(args...); err != nil {
		return err
	}
	return cr.run("cmake", "--build", ".", "--target", "mono-btls-static", "--", "-j"+strconv.Itoa(jobs))
}
