package main

import (
	"context"
	"fmt"

	"github.com/mcc-build/mcc/internal/mkbundle"
)

func init() {
	register("mkbundle", "make one static executable (and image) from a Mono program", runMkbundle)
}

const mkbundleUsage = `
Usage:
  mcc mkbundle [-o OUT] [--image OUT.tar] [--lib DIR]... [--libc musl|glibc]
               [--native NAME=ARCHIVE.a]... [--allow-missing-native] app.exe [extra.dll ...]

Makes one executable from a Mono program: the static musl Mono runtime mcc
builds from pinned, patched sources ('mcc toolchain install --mono'; built
on first use), followed by app.exe, every assembly it references directly
or not (read from their metadata; looked up beside app.exe, then in the
class libraries: Debian's Mono 4.5 profile, or --lib), a machine.config and
a dllmap config. The result runs with nothing else: no Mono install, no
shared libraries (Mono needs /proc mounted, and /etc/hosts for name lookups).
The same inputs give the same bytes.

--image OUT.tar also puts it in a FROM scratch image (podman load -i), with
/etc/hosts, /etc/passwd (nonroot 65532), /tmp and CA certificates.

Native libraries are found, not listed: mcc reads which libraries each
bundled assembly P/Invokes (its ModuleRef and ImplMap tables) and resolves
each name as Mono would: a <dllmap> in the assembly's .config beside it
(app.exe.config, Foo.dll.config), then Mono's /etc/mono/config, then NAME,
NAME.so, libNAME.so and libNAME.so.N beside the assembly and in the
system's library directories. Libraries the runtime answers itself (libc,
System.Native, MonoPosixHelper, __Internal) and Windows-only ones are not
looked for, nor the optional backends of Mono's class libraries (System's
ALSA and FAM, System.Data's ODBC); the libraries a class library exists to
wrap are (Mono.Data.Sqlite's sqlite3, System.Drawing's gdiplus).

--libc glibc is the fallback for programs that load native libraries of
their own: Debian's dynamically linked Mono runtime; each P/Invoked
library and the shared libraries it needs (DT_NEEDED) go into the image,
and the bundle's dllmap points the name at it (a library found beside the
app goes to /app/lib). A library found nowhere is an error.

A static musl bundle cannot load a shared library: --native NAME=ARCHIVE.a
links a static archive (built for the target) into a runtime built for
this app, which answers [DllImport("NAME")] from it. Without it, a
P/Invoked library is an error naming both ways out. --allow-missing-native
turns a missing library into a warning (the call fails at run time with
DllNotFoundException).

Examples:
  mcs -out:hello.exe hello.cs && mcc mkbundle -o hello hello.exe && ./hello
  mcc mkbundle -o server --image server.tar server.exe
  mcc mkbundle --libc glibc --image server.tar server.exe
  mcc mkbundle --libc glibc --image app.tar app.exe      # finds libsqlite3.so.0 for Mono.Data.Sqlite
  eval "$(mcc env)" && $CC -O2 -c greet.c && ar rcs libgreet.a greet.o   # mcc's musl cc
  mcc mkbundle --native greet=libgreet.a -o app app.exe  # [DllImport("greet")] answered from libgreet.a
`

func runMkbundle(ctx context.Context, a *app, args []string) error {
	j, err := a.mkbundleJob(args)
	if err != nil {
		return err
	}
	r, err := mkbundle.Make(ctx, j)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(r)
	}
	if !a.quiet {
		fmt.Fprint(a.stdout, r.Text())
	}
	return nil
}
