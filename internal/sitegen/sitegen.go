// Package sitegen writes large generated sites for benchmarks and tests:
// the example site's configuration, content and templates with any number
// of generated jobs. The output depends only on its arguments.
package sitegen

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Token returns the token of generated job i.
func Token(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("qdn bench job %d", i)))
	return enc.EncodeToString(sum[:16])
}

// ID returns the id of generated job i.
func ID(i int) string {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%21)
	return fmt.Sprintf("JOB-%s-%03d", day.Format("20060102"), i/21+1)
}

var names = []string{"Mark", "Priya", "Luis", "Janet", "Tom", "Gloria", "Ruth", "Ahmed", "Keiko", "Sam"}
var streets = []string{"Soderblom Ave", "W Hays St", "N 28th St", "E Parkcenter Blvd", "W Franklin Rd", "S Capitol Blvd"}

// Job returns the source of generated job i, as of the given version: a
// different version gives the same job a later status.
func Job(i, version int) []byte {
	statuses := []string{"booked", "ready_for_pickup", "in_progress", "completed", "cancelled"}
	day := time.Date(2026, 11, 1, 9, 0, 0, 0, time.FixedZone("MST", -7*3600)).AddDate(0, 0, i%21)
	svc, price := "trailer-dump", "600.00"
	if i%3 == 0 {
		// Junk removal has no ready_for_pickup step.
		svc, price = "junk-removal", "350.00"
		statuses = []string{"booked", "in_progress", "completed", "cancelled"}
	}
	st := (i + version) % len(statuses)
	hist := fmt.Sprintf("  - {status: booked, at: %s}\n", day.Format(time.RFC3339))
	if st > 0 {
		hist += fmt.Sprintf("  - {status: %s, at: %s, note: Update %d}\n", statuses[st], day.Add(time.Duration(st)*time.Hour+time.Duration(version)*time.Minute).Format(time.RFC3339), version)
	}
	return []byte(fmt.Sprintf(`id: %s
token: %s
customer:
  name: %s
address: %d %s, Boise, ID
service: %s
price: {amount: "%s", note: all-inclusive}
scheduled: {date: %s, window: "1–5 pm"}
crew: Sergio
status: %s
history:
%sprivate:
  phone: "+1 208 555 %04d"
  notes: generated job %d
`, ID(i), Token(i), names[i%len(names)], 100+i, streets[i%len(streets)], svc, price,
		day.Format("2006-01-02"), statuses[st], hist, i%10000, i))
}

// Write makes dir a site with n generated jobs, taking qdn.yaml, content/
// and templates/ from the example site at from.
func Write(from, dir string, n int) error {
	for _, name := range []string{"qdn.yaml", "content", "templates"} {
		if err := CopyTree(filepath.Join(from, name), filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(jobs, ID(i)+".yaml"), Job(i, 0), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// CopyTree copies the file or directory src to dst, making the
// directories it needs.
func CopyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
