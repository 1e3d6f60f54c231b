#!/usr/bin/env bash
# Compares `qdn sync` with `aws s3 sync` and s3deploy v2.16.0, side by side in
# one run, against the same local S3-compatible server (versitygw, built from
# the Go module proxy) and the same 10,000-file site: a first upload, a no-op
# sync, and a sync after a full rebuild that changed no content (every file
# rewritten, so every modification time is new). A bare listing of qdn's
# bucket after its no-op sync (bench/list.go) gives the floor of a sync that
# lists every key.
#
#   bench/sync.sh                  # N=10000 files
#   N=2000 bench/sync.sh           # a smaller site
#   TOOLS="qdn s3deploy" bench/sync.sh   # leave aws s3 sync out
#   OUT=/dev/shm/bench N=100000 TOOLS=qdn bench/sync.sh   # a large site in memory
#
# Prints a markdown table; the raw outputs are left in bench/out/ (or $OUT).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
PORT=${PORT:-17391}
TOOLS=${TOOLS:-qdn aws s3deploy}
out=${OUT:-bench/out} # OUT: elsewhere, e.g. on /dev/shm for a large site
say() { printf 'bench: %s\n' "$*" >&2; }

has() { [[ " $TOOLS " == *" $1 "* ]]; }
command -v python3 >/dev/null || { say "python3 is missing"; exit 1; }
. bench/versitygw.sh

rm -rf "$out"
mkdir -p "$out/s3root" "$out/_site"
out=$(cd "$out" && pwd)
go build -o "$out/qdn" ./cmd/qdn
go build -o "$out/list" bench/list.go
(cd bench/s3deploy && go build -o "$out/s3deploy" github.com/bep/s3deploy/v2)
qdn="$out/qdn"

# A build cache of this run only: the first build fills it.
export QDN_CACHE_DIR="$out/cache"
start_versitygw "$out"
awss3() { aws --endpoint-url "$endpoint" s3 "$@"; }
awss3 mb s3://qdn-bench >/dev/null
awss3 mb s3://aws-bench >/dev/null
awss3 mb s3://s3deploy-bench >/dev/null

# The site: QuickDumpNow's configuration, content and templates, and as many
# live jobs as make N output files.
site="$out/_site" # "_": not a Go package for go ./...
cp -r qdn.yaml content templates "$site/"
mkdir -p "$site/jobs"
cat >>"$site/qdn.yaml" <<YAML
  bench:
    bucket: qdn-bench
    region: us-east-1
    endpoint: $endpoint
YAML
base=$("$qdn" build --site "$site" 2>&1 | sed -n 's/^qdn: built \([0-9]*\) files.*/\1/p')
rm -rf "$site/public"
python3 - "$site/jobs" $((N - base)) <<'PY'
import base64, hashlib, os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    tok = base64.b32encode(hashlib.sha256(b"bench%d" % i).digest()[:16]).decode().lower().rstrip("=")
    with open(os.path.join(d, "JOB-BENCH-%05d.yaml" % i), "w") as f:
        f.write(f"id: JOB-BENCH-{i:05d}\ntoken: {tok}\ncustomer:\n  name: Customer {i}\n"
                f"address: {i} Main St, Boise, ID\nstatus: booked\n"
                "history:\n  - {status: booked, at: 2026-11-21T09:05:00-07:00}\n")
PY
"$qdn" build --site "$site" 2>"$out/build.log"
files=$(find "$site/public" -type f | wc -l)
say "site of $files files, $(du -sh "$site/public" | cut -f1)"

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
declare -A T U L

run_qdn() { # name
  local t0 t1
  t0=$(now)
  "$qdn" sync --site "$site" --env bench --allow-dirty --json >"$out/qdn-$1.json" 2>"$out/qdn-$1.log"
  t1=$(now)
  T[qdn-$1]=$(secs "$t0" "$t1")
  U[qdn-$1]=$(python3 -c "import json;print(json.load(open('$out/qdn-$1.json'))['uploaded'])")
  L[qdn-$1]=$(python3 -c "import json;r=json.load(open('$out/qdn-$1.json'))['requests'];print(f\"{r['list']} list, {r['get']} get, {r['put']} put, {r['delete']} delete\")")
  say "qdn sync, $1: ${T[qdn-$1]} s, uploaded ${U[qdn-$1]}, requests ${L[qdn-$1]}"
}
run_aws() { # name
  local t0 t1
  t0=$(now)
  awss3 sync "$site/public" s3://aws-bench/ --no-progress >"$out/aws-$1.log" 2>&1
  t1=$(now)
  T[aws-$1]=$(secs "$t0" "$t1")
  U[aws-$1]=$(grep -c '^upload:' "$out/aws-$1.log" || true)
  say "aws s3 sync, $1: ${T[aws-$1]} s, uploaded ${U[aws-$1]}"
}

run_s3deploy() { # name
  local t0 t1
  t0=$(now)
  "$out/s3deploy" -source "$site/public" -bucket s3deploy-bench -endpoint-url "$endpoint" -region us-east-1 \
    -max-delete 1000000 >"$out/s3deploy-$1.log" 2>&1
  t1=$(now)
  T[s3deploy-$1]=$(secs "$t0" "$t1")
  U[s3deploy-$1]=$(sed -n 's/.*, uploaded \([0-9]*\),.*/\1/p' "$out/s3deploy-$1.log")
  say "s3deploy, $1: ${T[s3deploy-$1]} s, uploaded ${U[s3deploy-$1]}"
}
run() { # step: each tool in turn
  for tool in $TOOLS; do "run_$tool" "$1"; done
}

say "load at the start: $(uptime)"
run first
run noop
FLOOR=$("$out/list" -endpoint "$endpoint" -bucket qdn-bench | python3 -c "import json,sys;r=json.load(sys.stdin);print(f\"{r['seconds']:.2f} s ({r['keys']} keys, {r['pages']} pages)\")")
say "bare listing of qdn's bucket: $FLOOR"
# A full rebuild that changes no content: every file is written anew.
for tool in $TOOLS; do
  rm -rf "$site/public"
  "$qdn" build --site "$site" 2>>"$out/build.log"
  "run_$tool" rebuild
done
say "load at the end: $(uptime)"

cell() { # tool step
  if has "$1"; then printf '%s s (%s uploads)' "${T[$1-$2]}" "${U[$1-$2]}"; else printf '—'; fi
}
ratio() { # step other
  if has "$2"; then python3 -c "print(f'{${T[$2-$1]} / ${T[qdn-$1]}:.1f}×')"; else printf '—'; fi
}
cat <<MD
| sync of $files files | qdn sync | aws s3 sync | s3deploy | qdn faster than aws / s3deploy |
| --- | --- | --- | --- | --- |
MD
for step in first noop rebuild; do
  case $step in
  first) what="first upload" ;;
  noop) what="no-op" ;;
  rebuild) what="after a rebuild, no content change" ;;
  esac
  extra=""
  if [ "$step" != first ]; then extra="; ${L[qdn-$step]}"; fi
  printf '| %s | %s s (%s uploads%s) | %s | %s | %s / %s |\n' "$what" "${T[qdn-$step]}" "${U[qdn-$step]}" "$extra" \
    "$(cell aws $step)" "$(cell s3deploy $step)" "$(ratio $step aws)" "$(ratio $step s3deploy)"
done
echo
echo "Bare listing of qdn's bucket (bench/list.go, one page after the other): $FLOOR."
