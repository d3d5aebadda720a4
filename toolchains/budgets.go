package toolchains

import "github.com/mcc-build/mcc/internal/unpack"

// Unpack budgets: 4x what the pinned sources hold (counted with tar -tv:
// every entry, skipped ones too, since a tar stream is read through), so
// an archive that unpacks to far more than the pin ever did is refused.

// muslUnpack: musl-1.2.3.tar.gz holds 2,841 entries, 3,392,808 bytes.
var muslUnpack = unpack.Options{StripComponents: 1, MaxBytes: 4 * 3_392_808, MaxEntries: 4 * 2_841}

// monoUnpack: mono_6.8.0.105+dfsg.orig.tar.xz holds 93,226 entries,
// 1,085,621,612 bytes (about 258 MB of it is kept: see skipMonoSource).
var monoUnpack = unpack.Options{StripComponents: 1, Skip: skipMonoSource, MaxBytes: 4 * 1_085_621_612, MaxEntries: 4 * 93_226}
