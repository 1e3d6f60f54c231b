#!/usr/bin/env bash
# Builds qdn's release binaries for every platform qdn supports, with their
# SHA-256 checksums, into dist/<version>/ (git-ignored):
#
#   qdn-<version>-<os>-<arch>[.exe]
#   SHA256SUMS            (check with: sha256sum -c SHA256SUMS)
#
# The version is `git describe --tags --always --dirty` (v1.2.0 on a tag,
# v1.2.0-3-g6598c16 after it, -dirty with uncommitted changes), or the first
# argument. `qdn version` of each binary prints it with the commit and the
# Go version. Binaries are built with -trimpath and without cgo, so the same
# commit and Go version give the same bytes on any machine.
set -euo pipefail
cd "$(dirname "$0")/.."

platforms=(darwin/arm64 darwin/amd64 windows/amd64 linux/amd64 linux/arm64)

version="${1:-$(git describe --tags --always --dirty)}"
commit="$(git rev-parse --short=12 HEAD)"
out="dist/$version"
rm -rf "$out"
mkdir -p "$out"

for p in "${platforms[@]}"; do
  goos="${p%/*}" goarch="${p#*/}"
  bin="qdn-$version-$goos-$goarch"
  [ "$goos" = windows ] && bin="$bin.exe"
  printf 'release.sh: building %s\n' "$bin" >&2
  CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.version=$version -X main.commit=$commit" \
    -o "$out/$bin" ./cmd/qdn
done

(cd "$out" && sha256sum qdn-* >SHA256SUMS)
printf 'release.sh: %s\n' "$out" >&2
cat "$out/SHA256SUMS"
