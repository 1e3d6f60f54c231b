package generator

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Money is an amount in cents. Prices are read from their decimal text and
// never pass through a float.
type Money int64

// MaxMoney is the largest amount ParseMoney accepts: $9,999,999.99. No job
// or service costs more; a larger figure is a typo, such as a decimal
// comma read as a thousands separator.
const MaxMoney Money = 9_999_999_99

// MoneyError says why a text is not an amount, with the fix.
type MoneyError struct {
	Text   string
	Reason string
	Hint   string
}

func (e *MoneyError) Error() string {
	return fmt.Sprintf("%q is not an amount of dollars and cents: %s", e.Text, e.Reason)
}

// ParseMoney reads an amount of dollars and cents: "600", "600.00",
// "425.5", "1,250.50", "$1,250". It is the one parser of amounts, for the
// command line and for the files alike.
//
// Spaces around the amount and one leading "$" are allowed. Digits are
// ASCII; the point separates the cents (one or two digits); a comma is
// accepted only between groups of three digits of the dollars
// ("1,200.00"), so that a decimal comma ("600,50") is refused instead of
// read as 60,050. Negative amounts and amounts above MaxMoney are refused.
func ParseMoney(s string) (Money, error) {
	fail := func(reason, hint string) (Money, error) {
		return 0, &MoneyError{Text: s, Reason: reason, Hint: hint}
	}
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "$")
	if t == "" {
		return fail("it is empty", `write the amount in dollars, such as 600 or 425.50`)
	}
	if t[0] == '-' || t[0] == '+' || strings.HasPrefix(t, "$") {
		if t[0] == '-' {
			return fail("an amount cannot be negative", "write the amount without a sign; a refund is not a price")
		}
		return fail("it has a sign or a second $", "write only the amount, such as 600 or 425.50")
	}
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9':
		case unicode.IsDigit(r):
			return fail(fmt.Sprintf("it has the digit %q, which is not 0 to 9", r), "type the amount with the digits 0 to 9")
		case unicode.Is(unicode.Sc, r), unicode.IsLetter(r):
			return fail(fmt.Sprintf("it has %q", r), "write the amount in dollars with the digits 0 to 9 only, such as 600 or 425.50, without a currency")
		}
	}
	for _, r := range t {
		if !(r >= '0' && r <= '9' || r == '.' || r == ',') {
			if r == utf8.RuneError {
				return fail("it is not valid text", "write the amount in dollars, such as 600 or 425.50")
			}
			return fail(fmt.Sprintf("it has %q", r), "write the amount in dollars, such as 600 or 425.50")
		}
	}
	whole, frac, hasFrac := strings.Cut(t, ".")
	switch {
	case strings.Contains(frac, "."):
		return fail("it has two points", "write one point before the cents, such as 1250.50")
	case strings.Contains(frac, ","):
		return fail("it has a comma after the point", "write the cents after the point with no comma, such as 1,250.50")
	case hasFrac && frac == "":
		return fail("no cents follow the point", "write 600 or 600.00")
	case whole == "":
		return fail("no dollars come before the point", "write a 0 before the point, such as 0.50")
	case len(frac) > 2:
		if !strings.Contains(whole, ",") && len(frac) == 3 {
			return fail("it has three digits after the point", "a point separates the cents, not thousands: write 1,250 or 1250, and cents with two digits")
		}
		return fail("it has more than two digits of cents", "write the cents with two digits, such as 425.50")
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		ok := len(groups[0]) >= 1 && len(groups[0]) <= 3 && groups[0][0] != '0'
		for _, g := range groups[1:] {
			ok = ok && len(g) == 3
		}
		if !ok {
			last := groups[len(groups)-1]
			if len(groups) == 2 && !hasFrac && len(last) >= 1 && len(last) <= 2 && groups[0] != "" {
				return fail("a comma can only separate thousands", fmt.Sprintf("write cents after a point: %s.%s", groups[0], last))
			}
			return fail("a comma can only separate thousands", "put commas between groups of three digits, such as 1,250.00, or leave them out: 1250.00")
		}
		whole = strings.Join(groups, "")
	}
	if len(whole) > 7 {
		return fail(fmt.Sprintf("it is more than %s", MaxMoney), "check the amount; a decimal comma or an extra digit makes it far too large")
	}
	d, _ := strconv.ParseInt(whole, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	c, _ := strconv.ParseInt(frac, 10, 64)
	m := Money(d*100 + c)
	if m > MaxMoney {
		return fail(fmt.Sprintf("it is more than %s", MaxMoney), "check the amount; a decimal comma or an extra digit makes it far too large")
	}
	return m, nil
}

// String formats m as dollars, leaving out the cents when there are none:
// "$600", "$1,250.50".
func (m Money) String() string {
	d, c := int64(m)/100, int64(m)%100
	s := strconv.FormatInt(d, 10)
	var b strings.Builder
	b.WriteByte('$')
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if c != 0 {
		fmt.Fprintf(&b, ".%02d", c)
	}
	return b.String()
}

// Decimal formats m as plain decimal text with two places: "600.00".
func (m Money) Decimal() string {
	return fmt.Sprintf("%d.%02d", int64(m)/100, int64(m)%100)
}
