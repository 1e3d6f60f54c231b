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
# and, in the same rounds, Hugo on a comparable site (bench/hugosite.go: one
# page per job, at the same URL, from the same YAML, with qdn's tracking
# template written for Hugo):
#   hugo clean  hugo into an empty public/ and an empty cache
#   hugo no-op  hugo again, nothing changed
# Hugo is Debian's hugo package, installed with apt-get when missing; HUGO=0
# leaves it out.
# Only public tools: Go, bash, cp, date, sort, awk, hugo.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/qdn" ./cmd/qdn
go run bench/gensite.go -jobs "$n" -out "$work/site"
hugo=${HUGO:-1}
if [ "$hugo" != 0 ]; then
  if ! command -v hugo >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y hugo >&2; else sudo apt-get install -y hugo >&2; fi
  fi
  go run bench/hugosite.go -site "$work/site" -out "$work/hugo"
  export HUGO_CACHEDIR="$work/hugocache"
fi
export QDN_CACHE_DIR="$work/cache"
site="$work/site"
jobs=("$site"/jobs/*.yaml)
job=${jobs[0]}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
timed() { # prints seconds taken by "$@", with its stderr kept in $work/last
  local t0 t1
  t0=$(now)
  "$@" 2>"$work/last"
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}

clean=() first=() noop=() one=() copy=() hclean=() hnoop=()
for i in $(seq 1 "$runs"); do
  rm -rf "$site/public" "$QDN_CACHE_DIR"
  clean+=("$(timed "$work/qdn" build --site "$site")")
  if [ "$hugo" != 0 ]; then
    rm -rf "$work/hugo/public" "$work/hugo/resources" "$HUGO_CACHEDIR"
    hclean+=("$(timed hugo --quiet -s "$work/hugo")")
    [ "$(find "$work/hugo/public/track" -mindepth 2 -name index.html | wc -l)" = "$(ls "$site/jobs" | wc -l)" ] || { echo "hugo did not make one page per job" >&2; exit 1; }
    hnoop+=("$(timed hugo --quiet -s "$work/hugo")")
  fi
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
printf 'jobs=%s runs=%s cores=%s load average at the start: %s\n' "$n" "$runs" "$(nproc)" "$load0"
printf 'clean   median %.3f s  (%s)\n' "$(printf '%s\n' "${clean[@]}" | median)" "${clean[*]}"
printf 'first   median %.3f s  (%s)\n' "$(printf '%s\n' "${first[@]}" | median)" "${first[*]}"
printf 'no-op   median %.3f s  (%s)\n' "$(printf '%s\n' "${noop[@]}" | median)" "${noop[*]}"
printf 'one-job median %.3f s  (%s)\n' "$(printf '%s\n' "${one[@]}" | median)" "${one[*]}"
printf 'cp -r   median %.3f s  (%s)\n' "$(printf '%s\n' "${copy[@]}" | median)" "${copy[*]}"
if [ "$hugo" != 0 ]; then
  hc=$(printf '%s\n' "${hclean[@]}" | median) hn=$(printf '%s\n' "${hnoop[@]}" | median)
  qc=$(printf '%s\n' "${clean[@]}" | median) qn=$(printf '%s\n' "${noop[@]}" | median)
  printf 'hugo clean median %.3f s  (%s)\n' "$hc" "${hclean[*]}"
  printf 'hugo no-op median %.3f s  (%s)\n' "$hn" "${hnoop[*]}"
  printf '%s\n' "$(hugo version)"
  awk -v a="$qc" -v b="$hc" 'BEGIN {printf "qdn clean / hugo clean  %.3f (target at most 0.25)\n", a / b}'
  awk -v a="$qn" -v b="$hn" 'BEGIN {printf "qdn no-op / hugo no-op  %.3f (target at most 0.10)\n", a / b}'
fi
printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
