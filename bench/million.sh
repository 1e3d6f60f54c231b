#!/usr/bin/env bash
# Runs qdn on a generated site of N jobs (default 1,000,000) end to end,
# against a local S3-compatible server (versitygw, built from the Go module
# proxy), and gives the wall time, CPU time and peak resident memory of each
# step, with the resident memory sampled every 10 s into WORKDIR/rss.<step>:
#
#   bench/million.sh WORKDIR [N]
#
#   first    qdn sync into an empty bucket with an empty build cache and no
#            public/: a clean build, then every object uploaded
#   noop     qdn sync again: nothing built, nothing uploaded
#   clean    qdn build into an empty public/ with an empty cache
#   rebuild  qdn sync after that clean build: every page written anew, no
#            content changed, nothing uploaded
#
# WORKDIR should be on disk. On ext4 a million jobs take about 4 GB for the
# site, 9 GB for public/ and 16 GB for the bucket (a directory, a file and
# its attributes an object), and the script checks they are free before it
# starts. BUCKET_DIR puts the bucket elsewhere (a tmpfs, where it takes about
# 9 GB of memory). A site already generated in WORKDIR/site for the same N
# is used as it is (delete it to generate it again). Only public tools: Go, bash, GNU time, awk, the AWS CLI (to make
# the bucket).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:?usage: bench/million.sh WORKDIR [N]}
n=${2:-1000000}
PORT=${PORT:-17392}
say() { printf 'bench: %s\n' "$*" >&2; }
. bench/versitygw.sh
mkdir -p "$work"
work=$(cd "$work" && pwd)
bucket=${BUCKET_DIR:-$work/s3root}
site="$work/site"
rm -rf "$site/public" "$work/cache" "$bucket/qdn-million"
mkdir -p "$bucket"
# Room, in KB a job: 4 for the site (when not generated yet), 9 for
# public/, 16 for the bucket. A disk that fills halfway leaves a run that
# says nothing of the end of a sync.
need_site=4
[ "$(cat "$work/site.jobs" 2>/dev/null)" = "$n" ] && need_site=0
room() { df -Pk "$1" | awk 'NR == 2 { print $4 }'; }
device() { df -P "$1" | awk 'NR == 2 { print $1 }'; }
check_room() { # DIR KB_A_JOB
  if [ "$(room "$1")" -lt $(($2 * n)) ]; then
    say "$1 has $(($(room "$1") / 1024)) MB free; $n jobs need about $(($2 * n / 1024)) MB there"
    exit 1
  fi
}
if [ "$(device "$work")" = "$(device "$bucket")" ]; then
  check_room "$work" $((need_site + 9 + 16))
else
  check_room "$work" $((need_site + 9))
  check_room "$bucket" 16
fi
go build -o "$work/qdn" ./cmd/qdn
go build -o "$work/gensite" bench/gensite.go
if [ "$(cat "$work/site.jobs" 2>/dev/null)" != "$n" ]; then
  rm -rf "$site" "$work/site.jobs"
  "$work/gensite" -jobs "$n" -out "$site" >/dev/null
  echo "$n" >"$work/site.jobs"
fi
export QDN_CACHE_DIR="$work/cache"
start_versitygw "$work" "$bucket"
aws --endpoint-url "$endpoint" s3 mb s3://qdn-million >/dev/null
if ! grep -q '^  million:' "$site/qdn.yaml"; then
  cat >>"$site/qdn.yaml" <<YAML
  million:
    bucket: qdn-million
    region: us-east-1
    endpoint: $endpoint
YAML
fi
sed -i "s|^\(    endpoint: http://127.0.0.1:\)[0-9]*$|\1$PORT|" "$site/qdn.yaml"

step() { # step NAME COMMAND...: runs it under GNU time, samples its memory, prints one line
  local name=$1
  shift
  /usr/bin/time -v "$@" >"$work/out.$name" 2>"$work/time.$name" &
  local pid=$!
  : >"$work/rss.$name"
  while kill -0 "$pid" 2>/dev/null; do
    local child
    child=$(pgrep -P "$pid" | head -1 || true)
    if [ -n "$child" ]; then
      printf '%s %s\n' "$(date +%T)" "$(awk '/VmRSS/ {print $2}' "/proc/$child/status" 2>/dev/null)" >>"$work/rss.$name"
    fi
    sleep 10
  done
  wait "$pid" || { cat "$work/time.$name"; exit 1; }
  awk -v name="$name" '
    /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); wall = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
    /User time/ { user = $NF }
    /System time/ { sys = $NF }
    /Maximum resident set size/ { rss = $NF }
    END { printf "%-8s wall %8.2f s  cpu %8.2f s  peak %9d KiB\n", name, wall, user + sys, rss }
  ' "$work/time.$name"
}
qsync=("$work/qdn" sync --site "$site" --env million --allow-dirty --json)
took() { # NAME: the sync's own account of its steps and requests
  python3 -c "import json;r=json.load(open('$work/out.$1'));print('  uploaded', r['uploaded'], 'requests', r['requests'], 'took', r.get('took'))"
}

printf 'jobs=%s cores=%s load: %s\n' "$n" "$(nproc)" "$(uptime | sed 's/.*load average: //')"
step first "${qsync[@]}"
took first
step noop "${qsync[@]}"
took noop
rm -rf "$site/public" "$work/cache"
step clean "$work/qdn" build --site "$site"
step rebuild "${qsync[@]}"
took rebuild
printf 'load after: %s\n' "$(uptime | sed 's/.*load average: //')"
