package generator_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/quickdumpnow/qdn/generator"
)

func TestParseMoney(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want generator.Money
	}{
		{"600", 600_00},
		{"600.00", 600_00},
		{"600.5", 600_50},
		{"425.50", 425_50},
		{" 600 ", 600_00},
		{"$600", 600_00},
		{"$1,250.50", 1250_50},
		{"1,200.00", 1200_00},
		{"1,234,567.89", 1234567_89},
		{"0.50", 50},
		{"0", 0},
		{"9,999,999.99", generator.MaxMoney},
	} {
		got, err := generator.ParseMoney(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// TestParseMoneyRefuses holds the amounts that a lenient parser would read
// as something else, each refused with a hint that names the fix.
func TestParseMoneyRefuses(t *testing.T) {
	for _, tc := range []struct {
		in, hint string
	}{
		{"600,50", "600.50"},
		{"425,00", "425.00"},
		{"1,2", "1.2"},
		{"1,20,000", "groups of three"},
		{",600", "groups of three"},
		{"1200,", "groups of three"},
		{"0,600", "groups of three"},
		{"1,200.00.00", "one point"},
		{"1.200,50", "comma"},
		{"1.250", "not thousands"},
		{"6.001", "two digits"},
		{"600.", "600.00"},
		{".50", "0.50"},
		{"-600", "without a sign"},
		{"+600", "only the amount"},
		{"$$600", "only the amount"},
		{"NaN", "digits 0 to 9"},
		{"Inf", "digits 0 to 9"},
		{"1e5", "digits 0 to 9"},
		{"€600", "without a currency"},
		{"600 USD", "without a currency"},
		{"६००", "digits 0 to 9"},
		{"６００", "digits 0 to 9"},
		{"6 00", "dollars"},
		{"", "dollars"},
		{"10,000,000", "far too large"},
		{"99999999999999999999", "far too large"},
		{"\xff", "dollars"},
	} {
		got, err := generator.ParseMoney(tc.in)
		var me *generator.MoneyError
		if !errors.As(err, &me) {
			t.Errorf("ParseMoney(%q) = %d, %v; want a MoneyError", tc.in, got, err)
			continue
		}
		if !strings.Contains(me.Hint, tc.hint) {
			t.Errorf("ParseMoney(%q) hint = %q; want it to mention %q", tc.in, me.Hint, tc.hint)
		}
	}
}

// FuzzMoney holds parsing and formatting consistent: whatever ParseMoney
// accepts is an amount in range that reads back the same from both of its
// formats, and a refusal always says how to fix it.
func FuzzMoney(f *testing.F) {
	for _, s := range []string{"600", "600.00", "600,50", "1,200.00", "$1,250.5", " 600 ", "-1", "NaN", "६००",
		"9,999,999.99", "10,000,000", ".5", "1,2,3", "0.01", "1.250", "007"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := generator.ParseMoney(s)
		if err != nil {
			var me *generator.MoneyError
			if !errors.As(err, &me) || me.Hint == "" {
				t.Fatalf("ParseMoney(%q) = %v; want a MoneyError with a hint", s, err)
			}
			return
		}
		if m < 0 || m > generator.MaxMoney {
			t.Fatalf("ParseMoney(%q) = %d; out of range", s, m)
		}
		for _, text := range []string{m.Decimal(), m.String()} {
			back, err := generator.ParseMoney(text)
			if err != nil || back != m {
				t.Fatalf("ParseMoney(%q) = %d, formatted %q, read back %d, %v", s, m, text, back, err)
			}
		}
	})
}
