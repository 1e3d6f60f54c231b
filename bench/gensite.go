//go:build ignore

// gensite writes a site with N generated jobs for benchmarks:
//
//	go run bench/gensite.go -jobs 10000 -out /tmp/site
//
// The site is the example site of this repository (qdn.yaml, content/,
// templates/) with its jobs replaced by N generated ones, in every status.
// Its track.expire_after is a century: the generated jobs ended in November
// 2026, and a benchmark must build the same pages whatever day it runs.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"
	"regexp"

	"github.com/quickdumpnow/qdn/internal/sitegen"
)

func main() {
	n := flag.Int("jobs", 10000, "number of jobs")
	out := flag.String("out", "", "directory to write the site to")
	from := flag.String("from", ".", "the example site to copy qdn.yaml, content/ and templates/ from")
	flag.Parse()
	if *out == "" {
		log.Fatal("-out is required")
	}
	if err := sitegen.Write(*from, *out, *n); err != nil {
		log.Fatal(err)
	}
	config := filepath.Join(*out, "qdn.yaml")
	b, err := os.ReadFile(config)
	if err != nil {
		log.Fatal(err)
	}
	expire := regexp.MustCompile(`(?m)^(\s+expire_after:).*$`)
	if !expire.Match(b) {
		log.Fatalf("%s has no track.expire_after to lengthen", config)
	}
	if err := os.WriteFile(config, expire.ReplaceAll(b, []byte("${1} 876000h")), 0o644); err != nil {
		log.Fatal(err)
	}
}
