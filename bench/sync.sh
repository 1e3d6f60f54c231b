#!/usr/bin/env bash
# Compares `qdn sync` with `aws s3 sync`, side by side in one run, against the
# same local S3-compatible server (versitygw, built from the Go module proxy)
# and the same 10,000-file site: a first upload, a no-op sync, and a sync
# after a full rebuild that changed no content (every file rewritten, so
# every modification time is new).
#
#   bench/sync.sh            # N=10000 files
#   N=2000 bench/sync.sh     # a smaller site
#
# Prints a markdown table; the raw outputs are left in bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
PORT=${PORT:-17391}
VERSITYGW_VERSION=v1.8.0
out=bench/out
say() { printf 'bench: %s\n' "$*" >&2; }

command -v aws >/dev/null || { say "the AWS CLI is missing (pip install awscli)"; exit 1; }
command -v python3 >/dev/null || { say "python3 is missing"; exit 1; }
vgw=${QDN_VERSITYGW:-$PWD/.ci/tmp/versitygw-$VERSITYGW_VERSION/versitygw}
if [ ! -x "$vgw" ]; then
  say "installing versitygw $VERSITYGW_VERSION"
  GOBIN="$(dirname "$vgw")" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi

rm -rf "$out"
mkdir -p "$out/s3root" "$out/_site"
go build -o "$out/qdn" ./cmd/qdn
qdn="$PWD/$out/qdn"

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 || true
# A build cache of this run only: the first build fills it.
export QDN_CACHE_DIR="$PWD/$out/cache"
endpoint="http://127.0.0.1:$PORT"
"$vgw" --access "$AWS_ACCESS_KEY_ID" --secret "$AWS_SECRET_ACCESS_KEY" --port "127.0.0.1:$PORT" --quiet posix "$out/s3root" >"$out/versitygw.log" 2>&1 &
vgw_pid=$!
trap 'kill $vgw_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  aws --endpoint-url "$endpoint" s3 ls >/dev/null 2>&1 && break
  sleep 0.1
done
awss3() { aws --endpoint-url "$endpoint" s3 "$@"; }
awss3 mb s3://qdn-bench >/dev/null
awss3 mb s3://aws-bench >/dev/null

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

run_qdn first
run_aws first
run_qdn noop
run_aws noop
# A full rebuild that changes no content: every file is written anew.
rm -rf "$site/public"
"$qdn" build --site "$site" 2>>"$out/build.log"
run_aws rebuild
rm -rf "$site/public"
"$qdn" build --site "$site" 2>>"$out/build.log"
run_qdn rebuild

ratio() { python3 -c "print(f'{$1 / $2:.1f}×')"; }
cat <<MD
| sync of $files files | qdn sync | aws s3 sync | qdn faster by |
| --- | --- | --- | --- |
| first upload | ${T[qdn-first]} s (${U[qdn-first]} uploads) | ${T[aws-first]} s (${U[aws-first]} uploads) | $(ratio "${T[aws-first]}" "${T[qdn-first]}") |
| no-op | ${T[qdn-noop]} s (${U[qdn-noop]} uploads; ${L[qdn-noop]}) | ${T[aws-noop]} s (${U[aws-noop]} uploads) | $(ratio "${T[aws-noop]}" "${T[qdn-noop]}") |
| after a rebuild, no content change | ${T[qdn-rebuild]} s (${U[qdn-rebuild]} uploads; ${L[qdn-rebuild]}) | ${T[aws-rebuild]} s (${U[aws-rebuild]} uploads) | $(ratio "${T[aws-rebuild]}" "${T[qdn-rebuild]}") |
MD
