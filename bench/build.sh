#!/usr/bin/env bash
# Times qdn build on a generated site of N jobs (default 10,000):
#
#   bench/build.sh [N] [RUNS]
#
# It builds the qdn binary, generates the site in a temporary directory
# (bench/gensite.go) and reports the median wall time of RUNS runs (default
# 5) of:
#   clean    a build into an empty public/ with an empty cache
#   first    the rebuild right after it, nothing changed (it reads back
#            only the pages the clean build wrote in its last clock tick)
#   no-op    a rebuild when nothing changed
#   one-job  a rebuild after one job file changed (must rewrite one file)
#   cp -r    copying the public/ a clean build made, as the file system's
#            floor for writing that many directories and files
# Only public tools: Go, bash, cp, date, sort, awk.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/qdn" ./cmd/qdn
go run bench/gensite.go -jobs "$n" -out "$work/site"
export QDN_CACHE_DIR="$work/cache"
site="$work/site"
jobs=("$site"/jobs/*.yaml)
job=${jobs[0]}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
timed() { # prints seconds taken by "$@", with its stderr kept in $work/last
  local t0 t1
  t0=$(now)
  "$@" 2>"$work/last"
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}

clean=() first=() noop=() one=() copy=()
for i in $(seq 1 "$runs"); do
  rm -rf "$site/public" "$QDN_CACHE_DIR"
  clean+=("$(timed "$work/qdn" build --site "$site")")
  copy+=("$(timed cp -r "$site/public" "$work/copy")")
  rm -rf "$work/copy"
  first+=("$(timed "$work/qdn" build --site "$site")")
  grep -q ': 0 added, 0 changed, 0 removed$' "$work/last" || { cat "$work/last"; echo "first rebuild changed files" >&2; exit 1; }
  noop+=("$(timed "$work/qdn" build --site "$site")")
  grep -q ': 0 added, 0 changed, 0 removed$' "$work/last" || { cat "$work/last"; echo "no-op build changed files" >&2; exit 1; }
  sed -i "s/^crew: .*/crew: Crew$i/" "$job"
  one+=("$(timed "$work/qdn" build --site "$site")")
  grep -q ': 0 added, 1 changed, 0 removed$' "$work/last" || { cat "$work/last"; echo "one-job build did not rewrite exactly one file" >&2; exit 1; }
done
printf 'jobs=%s runs=%s cores=%s\n' "$n" "$runs" "$(nproc)"
printf 'clean   median %.3f s  (%s)\n' "$(printf '%s\n' "${clean[@]}" | median)" "${clean[*]}"
printf 'first   median %.3f s  (%s)\n' "$(printf '%s\n' "${first[@]}" | median)" "${first[*]}"
printf 'no-op   median %.3f s  (%s)\n' "$(printf '%s\n' "${noop[@]}" | median)" "${noop[*]}"
printf 'one-job median %.3f s  (%s)\n' "$(printf '%s\n' "${one[@]}" | median)" "${one[*]}"
printf 'cp -r   median %.3f s  (%s)\n' "$(printf '%s\n' "${copy[@]}" | median)" "${copy[*]}"
