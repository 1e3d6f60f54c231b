#!/usr/bin/env bash
# Measures the time and peak memory of each step of a clean build of a
# generated site of N jobs (default 100,000):
#
#   bench/memory.sh [N] [WORKDIR]
#
# It builds the qdn binary, generates the site under WORKDIR (default: a
# new temporary directory, removed at the end; a given WORKDIR is kept),
# and runs each step under GNU time (/usr/bin/time -v):
#   generate  bench/gensite.go writes the job files
#   clean     qdn build into an empty public/ with an empty cache
#   expired   the same with track.expire_after at 1h, so that the jobs
#             that ended (two in five) are past it: they are skimmed, not
#             parsed, and get no page
# For each it prints the wall time, the CPU time (user + system) and the
# peak resident memory. The public/ of a million jobs takes about 8 GB
# (7 KB a page, a directory each), on tmpfs as much memory: give a WORKDIR
# on disk when the machine has less to spare.
# Only public tools: Go, bash, GNU time, awk.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
work=${2:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
go build -o "$work/qdn" ./cmd/qdn
go build -o "$work/gensite" bench/gensite.go
site="$work/site"
rm -rf "$site" "$work/cache"
export QDN_CACHE_DIR="$work/cache"

step() { # step NAME COMMAND...: runs it under GNU time and prints one line
  local name=$1
  shift
  /usr/bin/time -v "$@" >/dev/null 2>"$work/time.$name" || { cat "$work/time.$name"; exit 1; }
  awk -v name="$name" '
    /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); wall = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
    /User time/ { user = $NF }
    /System time/ { sys = $NF }
    /Maximum resident set size/ { rss = $NF }
    END { printf "%-9s wall %8.2f s  cpu %8.2f s  peak %7.0f MB\n", name, wall, user + sys, rss / 1024 }
  ' "$work/time.$name"
}

printf 'jobs=%s cores=%s load: %s\n' "$n" "$(nproc)" "$(uptime | sed 's/.*load average: //')"
step generate "$work/gensite" -jobs "$n" -out "$site"
step clean "$work/qdn" build --site "$site"
grep -h 'qdn: built' "$work/time.clean" || true
printf 'public/: %s\n' "$(du -sh "$site/public" | cut -f1)"
rm -rf "$site/public" "$work/cache"
sed -i 's/^\(  *expire_after:\).*/\1 1h/' "$site/qdn.yaml"
step expired "$work/qdn" build --site "$site"
grep -h 'qdn: built' "$work/time.expired" || true
printf 'load after: %s\n' "$(uptime | sed 's/.*load average: //')"
