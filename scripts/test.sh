#!/usr/bin/env bash
# Runs every check and test of qdn on a fresh machine.
#
# It first installs what the tests need and the machine lacks (Debian's
# chromium for the browser tests, axe-core from npm for their accessibility
# checks; versitygw, a second S3 server for the sync tests, built from the Go
# module proxy; moto's server, which the S3 and CloudFront tests start on
# loopback, ships with the machine's Python), then runs gofmt, go vet,
# staticcheck and the whole test suite with the race detector. A
# missing tool fails the run: no test is skipped for want of a server or a
# browser.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'test.sh: %s\n' "$*" >&2; }

# Debian packages: the browser for the page and preview tests, and fonts so
# that screenshots show text.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# axe-core, which the browser tests inject to check accessibility, pinned by
# tools/axe/package-lock.json.
if [ ! -f tools/axe/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null 2>&1; then
    say "npm is missing: install Node.js and npm (apt-get install -y npm) for axe-core"
    exit 1
  fi
  say "installing axe-core"
  npm ci --prefix tools/axe --no-audit --no-fund --loglevel=error
fi

if ! command -v moto_server >/dev/null 2>&1; then
  say "moto_server is missing: install moto with its server extra (pip install 'moto[server]')"
  exit 1
fi

# versitygw, pinned, in a directory of its version: the qdn sync tests run
# against it as well as against moto.
VERSITYGW_VERSION=v1.8.0
if [ -z "${QDN_VERSITYGW:-}" ]; then
  gobin="$PWD/.ci/tmp/versitygw-$VERSITYGW_VERSION"
  QDN_VERSITYGW="$gobin/versitygw"
  if [ ! -x "$QDN_VERSITYGW" ]; then
    say "installing versitygw $VERSITYGW_VERSION"
    GOBIN="$gobin" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  fi
fi
export QDN_VERSITYGW

export QDN_CHROMIUM="${QDN_CHROMIUM:-$(command -v chromium)}"
export QDN_MOTO_SERVER="${QDN_MOTO_SERVER:-$(command -v moto_server)}"
export QDN_AXE="${QDN_AXE:-$PWD/tools/axe/node_modules/axe-core/axe.min.js}"

say "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  say "gofmt would change: $unformatted"
  exit 1
fi

# go vet, tests included, for every platform qdn is released for
# (scripts/release.sh), so that code only one system has cannot creep in.
# After the first run the compiled packages come from the build cache.
for p in darwin/arm64 darwin/amd64 windows/amd64 linux/amd64 linux/arm64; do
  say "go vet $p"
  GOOS="${p%/*}" GOARCH="${p#*/}" go vet ./...
done

say "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

say "go test"
go test -race -count=1 -timeout 30m ./... "$@"

# The generator's file access off Unix (generator/files_other.go, what
# Windows runs), tested here by selecting it on this machine.
say "go test -tags qdnportable ./generator/"
go test -count=1 -tags qdnportable ./generator/
