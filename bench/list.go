//go:build ignore

// list times a bare listing of a bucket, the floor of a sync that must
// know every key: ListObjectsV2 pages of 1,000 keys, one after the other,
// and nothing else done with them.
//
//	go run bench/list.go -endpoint http://127.0.0.1:17391 -bucket qdn-bench
//
// Credentials and region come from the environment, as for qdn sync. It
// prints the keys, the pages and the seconds as one line of JSON.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func main() {
	endpoint := flag.String("endpoint", "", "S3 endpoint URL")
	bucket := flag.String("bucket", "", "bucket to list")
	prefix := flag.String("prefix", "", "key prefix")
	flag.Parse()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if *endpoint != "" {
			o.BaseEndpoint = aws.String(*endpoint)
			o.UsePathStyle = true
		}
	})
	start := time.Now()
	keys, pages := 0, 0
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: prefix, MaxKeys: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			log.Fatal(err)
		}
		keys += len(page.Contents)
		pages++
	}
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{"keys": keys, "pages": pages, "seconds": time.Since(start).Seconds()})
}
