#!/usr/bin/env bash
# Times `qdn status` on an environment of N generated jobs (default 10,000):
#
#   bench/status.sh [N] [RUNS]
#
# It builds qdn, generates the site (bench/gensite.go) in a git repository,
# publishes it as a dispatcher does (`qdn build`, then `qdn sync` into a
# local versitygw), and reports the median wall time of RUNS runs (default
# 5) of `qdn status --env bench` with nothing waiting: the listing and the
# manifest of the bucket, git, the in-memory build with the build cache, and
# the CloudWatch metrics of the environment's distribution, read from
# moto's server. Then one run as on a fresh CI checkout (no public/, no
# cache: every page is rendered in memory). The environment has no function (there is no local CloudFront
# Functions server outside the tests): the two GetFunction calls of a real
# environment run alongside the rest. Then one run under /usr/bin/time -v
# for its peak memory.
#
# Needs: Go, git, the AWS CLI (to create the bucket), moto_server, and
# versitygw ($QDN_VERSITYGW, or installed from the Go module proxy as in
# bench/sync.sh). Work files go to $TMPDIR (use /dev/shm to keep the disk
# out of it) and are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${2:-5}
VERSITYGW_VERSION=v1.8.0
say() { printf 'bench: %s\n' "$*" >&2; }

command -v aws >/dev/null || { say "the AWS CLI is missing (pip install awscli)"; exit 1; }
moto=${QDN_MOTO_SERVER:-$(command -v moto_server || true)}
[ -n "$moto" ] || { say "moto_server is missing (pip install 'moto[server]')"; exit 1; }
vgw=${QDN_VERSITYGW:-$PWD/.ci/tmp/versitygw-$VERSITYGW_VERSION/versitygw}
if [ ! -x "$vgw" ]; then
  say "installing versitygw $VERSITYGW_VERSION"
  GOBIN="$(dirname "$vgw")" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

go build -o "$work/qdn" ./cmd/qdn
qdn="$work/qdn"
site="$work/site"
go run bench/gensite.go -jobs "$n" -out "$site"

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 || true
export QDN_CACHE_DIR="$work/cache"
s3port=$(free_port)
cwport=$(free_port)
s3="http://127.0.0.1:$s3port"
cw="http://127.0.0.1:$cwport"
mkdir -p "$work/s3root"
"$vgw" --access "$AWS_ACCESS_KEY_ID" --secret "$AWS_SECRET_ACCESS_KEY" --port "127.0.0.1:$s3port" --quiet posix "$work/s3root" >"$work/versitygw.log" 2>&1 &
pids+=($!)
"$moto" -H 127.0.0.1 -p "$cwport" >"$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
  aws --endpoint-url "$s3" s3 ls >/dev/null 2>&1 && curl -sf "$cw/moto-api/" >/dev/null && break
  sleep 0.2
done
aws --endpoint-url "$s3" s3 mb s3://qdn-bench >/dev/null
export AWS_ENDPOINT_URL_CLOUDWATCH="$cw" AWS_ENDPOINT_URL_CLOUDFRONT="$cw"
cat >>"$site/qdn.yaml" <<YAML
  bench:
    bucket: qdn-bench
    region: us-east-1
    endpoint: $s3
    distribution_id: EQDNBENCH00001
YAML
git -C "$site" init -q
git -C "$site" add .
git -C "$site" -c user.name=bench -c user.email=bench@example.com commit -q -m site
"$qdn" build --site "$site" 2>"$work/build.log"
sleep 2.1 # past the build cache's racy window, as between two commands by hand
"$qdn" sync --site "$site" --env bench 2>"$work/sync.log" || { cat "$work/sync.log" >&2; exit 1; }
files=$(find "$site/public" -type f | wc -l)
say "$(tail -1 "$work/sync.log")"

now() { date +%s.%N; }
load=$(cut -d' ' -f1-3 /proc/loadavg)
times=()
for i in $(seq "$runs"); do
  t0=$(now)
  "$qdn" status --site "$site" --env bench >"$work/status.txt" 2>"$work/status.err"
  t1=$(now)
  times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')")
done
grep -q '^Waiting   nothing' "$work/status.txt" || { cat "$work/status.txt" "$work/status.err" >&2; say "status did not find the bucket in step"; exit 1; }
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
/usr/bin/time -v "$qdn" status --site "$site" --env bench >/dev/null 2>"$work/time.txt"
rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/time.txt")
cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u + s}' "$work/time.txt")
# For reference, under the same load: a no-op qdn sync, which lists the
# bucket and builds with the cache as qdn status does, and takes the lock.
t0=$(now)
"$qdn" sync --site "$site" --env bench 2>"$work/noop.log"
t1=$(now)
noop=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
mv "$site/public" "$work/public.kept"
mv "$QDN_CACHE_DIR" "$work/cache.kept"
t0=$(now)
/usr/bin/time -v "$qdn" status --site "$site" --env bench >"$work/fresh.txt" 2>"$work/fresh-time.txt"
t1=$(now)
fresh=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
grep -q '^Waiting   nothing' "$work/fresh.txt" || { cat "$work/fresh.txt" "$work/fresh-time.txt" >&2; exit 1; }
[ ! -e "$site/public" ] || { say "qdn status wrote public/"; exit 1; }
frss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/fresh-time.txt")
fcpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u + s}' "$work/fresh-time.txt")
cat "$work/status.txt"
echo
echo "| qdn status, $n jobs ($files files) | median of $runs | runs | CPU (user+sys) | peak RSS | load average at start |"
echo "| --- | --- | --- | --- | --- | --- |"
echo "| nothing waiting, after qdn build and qdn sync | ${median} s | ${times[*]} s | ${cpu} s | ${rss} MiB | $load |"
echo "| (reference: a no-op qdn sync, same run) | ${noop} s | 1 | | | |"
echo "| the same, fresh checkout (no public/, no cache) | ${fresh} s | 1 | ${fcpu} s | ${frss} MiB | $(cut -d' ' -f1-3 /proc/loadavg) |"
