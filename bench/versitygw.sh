# Sourced by the benchmark scripts that sync to a local S3-compatible server:
# versitygw, built from the Go module proxy, started on 127.0.0.1:$PORT with
# the benchmark's credentials.
#
#   . bench/versitygw.sh
#   start_versitygw DIR [ROOT]  # serves ROOT (default DIR/s3root), logs to
#                               # DIR; sets endpoint, stops it on exit

VERSITYGW_VERSION=v1.8.0
command -v aws >/dev/null || { printf 'bench: the AWS CLI is missing (pip install awscli): it makes the buckets\n' >&2; exit 1; }
vgw=${QDN_VERSITYGW:-$PWD/.ci/tmp/versitygw-$VERSITYGW_VERSION/versitygw}
if [ ! -x "$vgw" ]; then
  printf 'bench: installing versitygw %s\n' "$VERSITYGW_VERSION" >&2
  GOBIN="$(dirname "$vgw")" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 || true

start_versitygw() { # DIR [ROOT]
  local root=${2:-$1/s3root}
  mkdir -p "$root"
  endpoint="http://127.0.0.1:$PORT"
  "$vgw" --access "$AWS_ACCESS_KEY_ID" --secret "$AWS_SECRET_ACCESS_KEY" --port "127.0.0.1:$PORT" --quiet posix "$root" >"$1/versitygw.log" 2>&1 &
  vgw_pid=$!
  trap 'kill $vgw_pid 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    aws --endpoint-url "$endpoint" s3 ls >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  printf 'bench: versitygw did not answer on %s (see %s/versitygw.log)\n' "$endpoint" "$1" >&2
  exit 1
}
