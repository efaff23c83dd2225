# The helios-action container: `helios` on a Node.js 20 Debian base with what
# mission steps need to run repository commands (a shell, git, make, nc, CA
# certificates). GitHub builds this file on every run of `uses: ./` or a
# branch ref; releases point action.yml at the prebuilt image instead.
#
# Base images are build arguments so the same file builds from local bases
# (scripts/container-smoke.sh); the defaults are pinned by digest. Both are
# multi-arch index digests taken from public Dockerfiles that pin the same
# tag (not pulled from here: this machine reaches no registry). Re-check with
#   docker buildx imagetools inspect golang:1.26.8-bookworm
#   docker buildx imagetools inspect node:20.18.1-bookworm-slim
# and bump tag and digest together. Node 20.18.1 is upstream's pin.
ARG GO_IMAGE=golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d
ARG RUNTIME_IMAGE=node:20.18.1-bookworm-slim@sha256:b2c8e0eb8a6aeeae33b2711f8f516003e27ee45804e270468d937b3214f2f0cc

FROM ${GO_IMAGE} AS build
# The image's own Go, never a toolchain download.
ENV GOTOOLCHAIN=local CGO_ENABLED=0
WORKDIR /src
# Modules first: this layer stays cached while only the sources change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /helios ./cmd/action

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      bash ca-certificates git make netcat-openbsd \
 && rm -rf /var/lib/apt/lists/*
# The workspace is the runner user's checkout and the container runs as
# root: without this git refuses the repository ("dubious ownership") and
# the manifest loses its commit. Any path, since a checkout may sit in a
# subfolder of /github/workspace.
RUN git config --system --add safe.directory '*'
COPY --from=build /helios /usr/local/bin/helios
# Root, no WORKDIR: the runner sets --workdir /github/workspace and mounts
# the workspace owned by its own user (GitHub's Dockerfile guidance).
ENTRYPOINT ["/usr/local/bin/helios"]
