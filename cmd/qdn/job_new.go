package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// JobNewCommand is `qdn job new`.
type JobNewCommand struct {
	*Main
	Site string
}

const jobNewUsage = `
Usage: qdn job new --name NAME --address ADDR --service SLUG --price AMOUNT
                   [--price-note TEXT] [--date D [--window W]] [--crew NAME]
                   [--phone P] [--notes TEXT] [--status S] [--site DIR]

Create a job: write jobs/<id>.yaml and print its path, the tracking link and a
text message with the link, ready to send to the customer. The id is
JOB-YYYYMMDD-NNN, today in the site's time zone and the next free number of
the day; the token is new and random; the first history entry is now. --phone
and --notes are kept under private: and never shown on any page. The link
works once the site is built and synced.

Example:

  qdn job new --name "Mark" --address "1234 Soderblom Ave, Boise, ID" \
      --service trailer-dump --price 600 --price-note all-inclusive \
      --date 2026-11-21 --window "1-5 pm" --phone "+1 208 555 0142"
`

// Run creates the job.
func (c *JobNewCommand) Run(ctx context.Context, args []string) error {
	c.Writes = true
	fs := newFlags("job new")
	siteFlag(fs, &c.Site)
	var name, address, service, price, priceNote, date, window, crew, phone, notes, status string
	fs.StringVar(&name, "name", "", "the customer's `name`")
	fs.StringVar(&address, "address", "", "the `address` of the job")
	fs.StringVar(&service, "service", "", "the `slug` of the service, a file content/book/<slug>.md")
	fs.StringVar(&price, "price", "", "the `amount` in dollars, such as 600 or 425.50")
	fs.StringVar(&priceNote, "price-note", "", "what the price `includes`, such as all-inclusive")
	fs.StringVar(&date, "date", "", "the scheduled `day`: YYYY-MM-DD, today or tomorrow")
	fs.StringVar(&window, "window", "", "the arrival `window` on that day, such as \"1-5 pm\"")
	fs.StringVar(&crew, "crew", "", "the `crew` doing the job (customers see the first name)")
	fs.StringVar(&phone, "phone", "", "the customer's `phone` number (private)")
	fs.StringVar(&notes, "notes", "", "`notes` for dispatch, such as a gate code (private)")
	fs.StringVar(&status, "status", string(generator.Booked), "the `status` the job starts in")
	args, err := c.parseJobArgs(fs, jobNewUsage, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", args[0]), hint: "quote values with spaces: --name \"Priya Raman\""}
	}
	for _, f := range []struct{ flag, value string }{{"name", name}, {"address", address}, {"service", service}, {"price", price}} {
		if strings.TrimSpace(f.value) == "" {
			return &usageError{msg: "missing --" + f.flag, hint: "a new job needs --name, --address, --service and --price; run 'qdn job new --help'"}
		}
	}
	js, err := c.openJobs(c.Site)
	if err != nil {
		return err
	}
	cfg := js.Config
	j := generator.Job{
		Customer: generator.Customer{Name: name},
		Address:  address,
		Service:  service,
		Crew:     crew,
	}
	amount, err := generator.ParseMoney(price)
	if err != nil {
		hint := "write the amount in dollars, such as 600 or 425.50"
		var me *generator.MoneyError
		if errors.As(err, &me) {
			hint = me.Hint
		}
		return &usageError{msg: "--price: " + err.Error(), hint: hint}
	}
	j.Price = &generator.Price{Amount: amount, Note: priceNote}
	now := c.Now()
	if date != "" {
		d, err := parseDay(date, now, cfg.Site.Location)
		if err != nil {
			return &usageError{msg: "--date: " + err.Error(), hint: "write the day as YYYY-MM-DD, today or tomorrow"}
		}
		j.Scheduled = &generator.Schedule{Date: d, Window: window}
	} else if window != "" {
		return &usageError{msg: "--window without --date", hint: "add --date with the day of the window"}
	}
	if j.Status, err = generator.ParseStatus(status); err != nil {
		return &usageError{msg: "--status: " + err.Error()}
	}
	if phone != "" {
		j.Private = append(j.Private, generator.PrivateField{Key: "phone", Value: phone})
	}
	if notes != "" {
		j.Private = append(j.Private, generator.PrivateField{Key: "notes", Value: notes})
	}
	job, err := js.Create(ctx, j)
	if err != nil {
		return jobError(err, "")
	}
	fmt.Fprintln(c.Stdout, job.File)
	printLink(c.Stdout, cfg, job)
	fmt.Fprintf(c.Stderr, "qdn: created %s for %s (%s); the link works once the site is built and synced\n", job.ID, job.Customer.Name, job.Status)
	return nil
}

// parseDay reads a scheduled day: YYYY-MM-DD, today or tomorrow in the site's
// time zone.
func parseDay(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	today := now.In(loc)
	midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "today":
		return midnight, nil
	case "tomorrow":
		return midnight.AddDate(0, 0, 1), nil
	}
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a day", s)
	}
	return d, nil
}
