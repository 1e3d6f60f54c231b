// This module only pins s3deploy for bench/sync.sh, which builds it with
//
//	cd bench/s3deploy && go build -o ../out/s3deploy github.com/bep/s3deploy/v2
//
// (the module proxy refuses `go install github.com/bep/s3deploy/v2@latest`).
module qdnbench/s3deploy

go 1.26

require github.com/bep/s3deploy/v2 v2.16.0
