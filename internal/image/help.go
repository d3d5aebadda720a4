package image

// CommandHelp is the part of 'mcc image --help' that says what Assemble
// puts in the image and how it writes it; it lives here so that it changes
// with the code it describes.
const CommandHelp = `Puts a static executable in a FROM scratch OCI image: the file at /app/NAME
(the entrypoint), /etc/passwd and /etc/group with root and nonroot (65532),
/tmp, CA certificates (Mozilla's root store from the pinned Go module
golang.org/x/crypto/x509roots/fallback; roots with a distrust date, which a
PEM bundle cannot express, are left out; --ca-file adds your own), optionally /usr/share/zoneinfo from
the pinned Go SDK's zone data, and an SPDX SBOM at
/usr/share/sbom/image.spdx.json. It runs as 65532:65532. Several --platform
give a multi-arch image index; each file must be built for its platform.

CA certificates go to /etc/ssl/certs/ca-certificates.crt and, when FILE
is a Mono bundle (from 'mcc mkbundle'), also to /usr/share/.mono/new-certs/Trust
as one PEM file per certificate named by OpenSSL's subject hash: the only
place Mono's TLS (BTLS) looks for trusted roots. --ca-file PEM (repeatable)
adds an organisation's CA certificates to both; it is listed in the SBOM
(name, sha256, subjects) and the label mcc.ca-files.

The same inputs give the same digest: files, times and order are fixed
(times from $SOURCE_DATE_EPOCH, else 1970). OUT.tar is a docker-archive
('podman load -i OUT.tar'); the SBOM is also written beside it as
OUT.spdx.json (OUT.OS-ARCH.spdx.json per platform). Outputs are written
beside their destination and renamed into place once all are complete: a
failed run leaves existing outputs as they were. --layout DIR replaces an
OCI layout or fills a new or empty directory; any other DIR is refused.

The pinned module zips are fetched on first use (the store, the local
mirror, --mirror, then GOPROXY); offline, seed a mirror on a connected
machine with 'mcc mirror fill DIR' and pass --mirror DIR, or give the files
with --ca-roots and --zoneinfo.

`
