//go:build ignore

// gensite writes a site with N generated jobs for benchmarks:
//
//	go run bench/gensite.go -jobs 10000 -out /tmp/site
//
// The site is the example site of this repository (qdn.yaml, content/,
// templates/) with its jobs replaced by N generated ones, in every status.
package main

import (
	"flag"
	"log"

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
}
