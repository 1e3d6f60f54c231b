package generator

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in cents. Prices are read from their decimal text and
// never pass through a float.
type Money int64

// ParseMoney reads an amount such as "600", "600.00" or "1,250.5".
func ParseMoney(s string) (Money, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "$")
	t = strings.ReplaceAll(t, ",", "")
	whole, frac, hasFrac := strings.Cut(t, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" ||
		(hasFrac && (frac == "" || len(frac) > 2)) || len(whole) > 12 {
		return 0, fmt.Errorf("%q is not an amount of dollars and cents", s)
	}
	d, _ := strconv.ParseInt(whole, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	c, _ := strconv.ParseInt(frac, 10, 64)
	return Money(d*100 + c), nil
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
