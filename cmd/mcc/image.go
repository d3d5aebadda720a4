package main

import (
	"context"

	"github.com/mcc-build/mcc/internal/image"
)

func init() {
	register("image", "put static executables in a reproducible FROM scratch OCI image", runImage)
}

const imageUsage = `
Usage:
  mcc image -o OUT.tar [--layout DIR] [--push REF] [--tag NAME] [--entrypoint CMD] [--tzdata] FILE
  mcc image -o OUT.tar --platform OS/ARCH=FILE [--platform OS/ARCH=FILE]... [flags]

` + image.CommandHelp + `Examples:
  mcc go build -o out/app ./cmd/app && mcc image -o out/app.tar out/app
  podman load -i out/app.tar && podman run --rm app:latest
  mcc image -o out/app.tar --tag app:1.0 --tzdata --layout out/app.oci out/app
  mcc image -o out/app.tar --name app --platform linux/amd64=out/app-amd64 --platform linux/arm64=out/app-arm64
  mcc image -o out/app.tar --push 127.0.0.1:5000/app:1.0 out/app
  mcc image -o out/server.tar --ca-file corp-root.pem out/server
`

// caFileUsage is the --ca-file flag's help, shared with mcc mkbundle.
const caFileUsage = "also trust the CA certificates in PEM `FILE` (repeatable): added to /etc/ssl/certs/ca-certificates.crt and, for Mono bundles, Mono's trust store"

// runImage reads the flags into an image.Request; image.Assemble does the rest.
func runImage(ctx context.Context, a *app, args []string) error {
	r := image.Request{Target: a.target, Fetcher: func() (image.PinFetcher, error) { return a.fetcher() }}
	fs := newFlags("image")
	fs.StringVarP(&r.Output, "output", "o", "", "write a docker-archive to `OUT.tar` (podman load -i OUT.tar)")
	fs.StringVar(&r.Layout, "layout", "", "also write an OCI image layout to `DIR` (a new or empty directory, or a layout to replace)")
	fs.StringVar(&r.Push, "push", "", "also push to `REF` (HOST[:PORT]/REPO[:TAG]); loopback registries use plain HTTP")
	fs.StringArrayVar(&r.Platforms, "platform", nil, "`OS/ARCH=FILE`: the executable for one platform; repeat for an image index")
	fs.StringVar(&r.Tag, "tag", "", "image `NAME[:TAG]` in the archive and layout (default: FILE's name:latest)")
	fs.StringVar(&r.Name, "name", "", "the binary's file `NAME` under /app in the image (default: the file's own name)")
	fs.StringVar(&r.Entrypoint, "entrypoint", "", "entrypoint `CMD`, as a JSON array or a space-separated line (default: /app/NAME)")
	fs.StringArrayVar(&r.Env, "env", nil, "add `KEY=VALUE` to the image's environment (repeatable)")
	fs.StringArrayVar(&r.Labels, "label", nil, "add label `KEY=VALUE` (repeatable)")
	fs.StringArrayVar(&r.Adds, "add", nil, "add a file: `/PATH=SRC` copies SRC to /PATH in the image (repeatable), e.g. /etc/hosts=hosts")
	fs.BoolVar(&r.Tzdata, "tzdata", false, "add /usr/share/zoneinfo from the pinned Go SDK's zone data")
	fs.BoolVar(&r.NoCA, "no-ca-certs", false, "leave out the CA certificates (those of --ca-file stay)")
	fs.StringArrayVar(&r.CAFiles, "ca-file", nil, caFileUsage)
	fs.StringVar(&r.CARoots, "ca-roots", "", "the pinned ca-roots module zip `FILE` (default: fetched on first use)")
	fs.StringVar(&r.Zoneinfo, "zoneinfo", "", "the pinned zoneinfo module zip (Go SDK) `FILE`; implies --tzdata (default: fetched on first use)")
	fs.StringVar(&r.ToolchainManifest, "toolchain-manifest", "", "JSON `FILE` listing the toolchain components that built the binaries, for the SBOM")
	fs.StringVar(&r.SourceDir, "source-dir", "", "git checkout `DIR` to take revision and source labels from when the binary's Go build info has none")
	fs.BoolVar(&r.Insecure, "insecure-registry", false, "push over plain HTTP to a non-loopback registry")
	if err := a.parse(fs, imageUsage, args); err != nil {
		return err
	}
	r.Files = fs.Args()
	res, err := image.Assemble(ctx, r)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	return res.WriteText(a.stdout, a.quiet)
}
