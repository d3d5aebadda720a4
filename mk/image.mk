# mk/image.mk: the image step of `make demo` (issue 3), included by the Makefile.
#
# demo-image puts the demo app's static binaries (out/app-amd64 and
# out/app-arm64, left by demo-go) in one multi-arch FROM scratch image, loads
# it into a private podman store and runs it, then runs the arm64 image's
# binary under qemu: no Docker engine involved.

IMAGE_APP    ?= $(CURDIR)/out/app
IMAGE_OUT    ?= $(CURDIR)/out/image
IMAGE_PODMAN := podman --root $(IMAGE_OUT)/podman/storage --runroot $(IMAGE_OUT)/podman/run \
                --storage-driver vfs --runtime runc --cgroup-manager cgroupfs --events-backend none
IMAGE_RUN    := run --rm --network=none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024

DEMO_STEPS += demo-image
.PHONY: demo-image

# The image's CA roots and zone data are pinned Go module zips (sysroots/
# image.json) that `make mirror` (mcc mirror fill) put in $(SOURCES); mcc
# image would fetch them through GOPROXY itself without --mirror.
demo-image: build
	@echo "== mcc image: $(IMAGE_APP)-amd64 + $(IMAGE_APP)-arm64 -> one image index"
	mkdir -p $(IMAGE_OUT)
	$(MCC) --mirror $(SOURCES) image -o $(IMAGE_OUT)/app.tar --layout $(IMAGE_OUT)/app.oci --tzdata \
	  --tag mcc-demo/app:latest --name app \
	  --platform linux/amd64=$(IMAGE_APP)-amd64 --platform linux/arm64=$(IMAGE_APP)-arm64
	@echo "== podman load + run (runc, private vfs store, no network)"
	$(IMAGE_PODMAN) load -q -i $(IMAGE_OUT)/app.tar
	$(IMAGE_PODMAN) $(IMAGE_RUN) mcc-demo/app:latest
	@echo "runs as user $$($(IMAGE_PODMAN) image inspect --format '{{.Config.User}}' mcc-demo/app:latest)"
	@echo "== the arm64 image (picked from the index by skopeo, unpacked by umoci) under qemu-aarch64-static"
	rm -rf $(IMAGE_OUT)/arm64.oci $(IMAGE_OUT)/arm64.bundle
	skopeo copy -q --override-arch arm64 oci:$(IMAGE_OUT)/app.oci:latest oci:$(IMAGE_OUT)/arm64.oci:arm64
	umoci unpack --image $(IMAGE_OUT)/arm64.oci:arm64 $(IMAGE_OUT)/arm64.bundle
	cp /usr/bin/qemu-aarch64-static $(IMAGE_OUT)/arm64.bundle/rootfs/qemu
	chroot --userspec=65532:65532 $(IMAGE_OUT)/arm64.bundle/rootfs /qemu /app/app
