# shellcheck shell=bash
# Local base images for building and running the action's container on a
# machine with podman but no registry (sourced by container-smoke.sh and
# act-e2e.sh). Each image is made from nothing when absent: a Debian
# bookworm minbase root from debootstrap, then the host's Go (the
# Dockerfile's build stage) and the host's Node 20 (its runtime stage).
#
# An image is reused only when it was made from the same recipe: its tag
# carries a hash of everything that goes into it (the recipe text, the Go
# or Node version, the CA bundle), so a changed recipe or bundle makes a
# new image instead of reusing a stale one.
#
# Needs (as root): podman, runc, debootstrap, go, node, sha256sum.
# Sets: HELIOS_DEBIAN_IMAGE, HELIOS_GO_IMAGE, HELIOS_NODE_IMAGE, and
# CONTAINERS_CONF (runc, no default ulimits) for every podman call.

bases_cache=${HELIOS_BASES_CACHE:-${XDG_CACHE_HOME:-/var/cache}/helios-bases}

# crun fails here ("cgroups in hybrid mode not supported"), and runc cannot
# set podman's default RLIMITs in this sandbox. A config of our own, not
# /etc/containers/containers.conf: podman's API service (act) has no
# --runtime flag, so the runtime must come from the config it reads.
bases_conf() {
  mkdir -p "$bases_cache"
  printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' >"$bases_cache/containers.conf"
  export CONTAINERS_CONF=$bases_cache/containers.conf
}

bases_hash() { sha256sum | cut -c1-12; }

# bases_tools checks what the bases and the scripts need, plus the tools
# named as arguments, and prints their versions.
bases_tools() {
  local missing=() t
  for t in podman runc debootstrap; do command -v "$t" >/dev/null || missing+=("$t"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing: ${missing[*]}; install with:"
    echo "  apt-get update && apt-get install -y podman runc debootstrap"
    return 1
  fi
  for t in go node sha256sum "$@"; do
    command -v "$t" >/dev/null || { echo "FAIL: $t is not installed" >&2; return 1; }
  done
  [ "$(id -u)" = 0 ] || { echo "FAIL: run as root (podman import and build with runc)" >&2; return 1; }
  podman --version; runc --version | sed -n 1p; go version
}

# bases_reuse TAG CTX: true when TAG exists already; CTX, its unneeded
# build context, is removed then.
bases_reuse() {
  podman image exists "$1" || return 1
  echo "reusing $1"
  rm -rf "$2"
}

# bases_build TAG CTX builds CTX/Containerfile as TAG and removes CTX.
bases_build() {
  local rc=0
  timeout 300 podman build --pull=never -q -t "$1" "$2" >/dev/null || rc=$?
  rm -rf "$2"
  [ "$rc" = 0 ] || { echo "FAIL: podman build $1" >&2; return 1; }
  echo "built $1"
}

# bases_debian: a Debian bookworm minbase root, imported as an image.
bases_debian() {
  local recipe="debootstrap --variant=minbase bookworm"
  local tag
  tag=localhost/helios-bases/debian:bookworm-$(printf '%s' "$recipe" | bases_hash)
  HELIOS_DEBIAN_IMAGE=$tag
  bases_reuse "$tag" "" && return
  local root=$bases_cache/rootfs
  if [ ! -e "$root/.helios-complete" ]; then
    rm -rf "$root" "$root.tmp"
    echo "debootstrap (about 30 s)"
    # shellcheck disable=SC2086
    timeout 300 $recipe "$root.tmp" >"$bases_cache/debootstrap.log" 2>&1 ||
      { tail -20 "$bases_cache/debootstrap.log"; echo "FAIL: debootstrap" >&2; return 1; }
    touch "$root.tmp/.helios-complete"
    mv "$root.tmp" "$root"
  fi
  tar -C "$root" --exclude=./.helios-complete -c . | timeout 120 podman import -q - "$tag" >/dev/null
  echo "imported $tag"
}

# bases_go: Debian plus the host's Go, laid out like the official golang
# image (GOROOT /usr/local/go, GOPATH /go), with the host's CA bundle so
# that `go mod download` reaches the module proxy through this machine's
# TLS-inspecting egress (minbase has no CA certificates at all).
bases_go() {
  local ca=/etc/ssl/certs/ca-certificates.crt
  [ -s "$ca" ] || { echo "FAIL: no CA bundle at $ca (apt-get install ca-certificates)" >&2; return 1; }
  local ctx
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/helios-gobase.XXXXXX")
  cp "$ca" "$ctx/ca-certificates.crt"
  cat >"$ctx/Containerfile" <<EOF
FROM $HELIOS_DEBIAN_IMAGE
COPY go /usr/local/go
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV GOROOT=/usr/local/go GOPATH=/go GOTOOLCHAIN=local SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN go version
EOF
  local gover tag
  gover=$(go env GOVERSION)
  tag=localhost/helios-bases/golang:${gover#go}-$( { cat "$ctx/Containerfile"; echo "$gover"; cat "$ca"; } | bases_hash)
  HELIOS_GO_IMAGE=$tag
  bases_reuse "$tag" "$ctx" && return
  # A copy, not a link: the build context is sent as it is.
  cp -a "$(go env GOROOT)" "$ctx/go"
  bases_build "$tag" "$ctx"
}

# bases_node: Debian plus the host's Node 20 and npm, where the official
# node image puts them (Debian's own nodejs is 18).
bases_node() {
  local nodever
  nodever=$(node --version 2>/dev/null || true)
  case "$nodever" in v20.*) ;; *) echo "FAIL: the host's node is ${nodever:-missing}; the runtime base needs Node 20" >&2; return 1 ;; esac
  local ctx
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/helios-nodebase.XXXXXX")
  cat >"$ctx/Containerfile" <<EOF
FROM $HELIOS_DEBIAN_IMAGE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
EOF
  local npmdir tag
  npmdir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  tag=localhost/helios-bases/node:${nodever#v}-$( { cat "$ctx/Containerfile"; echo "$nodever"; cat "$npmdir/package.json"; } | bases_hash)
  HELIOS_NODE_IMAGE=$tag
  bases_reuse "$tag" "$ctx" && return
  cp "$(readlink -f "$(command -v node)")" "$ctx/node"
  cp -a "$npmdir" "$ctx/npm"
  bases_build "$tag" "$ctx"
}

# bases_all makes (or reuses) the three images and exports their names.
bases_all() {
  bases_conf
  bases_debian && bases_go && bases_node || return 1
  export HELIOS_DEBIAN_IMAGE HELIOS_GO_IMAGE HELIOS_NODE_IMAGE
}
