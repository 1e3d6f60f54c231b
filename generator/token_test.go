package generator_test

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quickdumpnow/qdn/generator"
)

// weakTokens look long enough for their alphabet but carry nowhere near
// 128 bits, or are longer than any page path can hold.
var weakTokens = []struct {
	name, token, want string
}{
	{"one letter", strings.Repeat("a", 32), "distinct"},
	{"two letters", strings.Repeat("ab", 16), "distinct"},
	{"four digits", strings.Repeat("1234", 8), "distinct"},
	{"a repeated word", strings.Repeat("k7q2m4x9", 4), "repeats its first 8"},
	{"hex repeated", strings.Repeat("0123456789abcdef", 2), "repeats its first 16"},
	{"repeated, cut short", strings.Repeat("k7q2m4x9c3v8b", 3)[:30], "repeats its first 13"},
	{"the alphabet", "abcdefghijklmnopqrstuvwxyz", "runs along the alphabet"},
	{"digits then letters", "0123456789abcdefghijklmnopq", "runs along the alphabet"},
	{"backwards", "zyxwvutsrqponmlkjihgfedcba", "runs along the alphabet"},
	{"doubled letters", "aabbccddeeffgghhiijjkkllmm", "runs along the alphabet"},
	{"300 characters", strings.Repeat("k7q2m4x9c3v8b5n6z1a0s4d7f2", 12)[:300], "more than 64"},
	{"65 characters", strings.Repeat("3f1c9a7be40d52e86a1c0f9d3b7e2a64", 3)[:65], "more than 64"},
}

func TestCheckTokenRefusesWeak(t *testing.T) {
	for _, tc := range weakTokens {
		err := generator.CheckToken(tc.token)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: CheckToken(%q) = %v; want an error saying %q", tc.name, tc.token, err, tc.want)
		}
	}
}

// TestCheckTokenAcceptsRandom holds that no real token trips the checks:
// tokens from NewToken, and random tokens of the other alphabets at their
// shortest and longest.
func TestCheckTokenAcceptsRandom(t *testing.T) {
	for i := 0; i < 50000; i++ {
		tok, err := generator.NewToken(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := generator.CheckToken(tok); err != nil {
			t.Fatalf("CheckToken(%q), a token from NewToken: %v", tok, err)
		}
	}
	for i := 0; i < 20000; i++ {
		for _, n := range []int{16, 32} {
			b := make([]byte, n)
			rand.Read(b)
			if tok := hex.EncodeToString(b); generator.CheckToken(tok) != nil {
				t.Fatalf("CheckToken(%q), random hexadecimal: %v", tok, generator.CheckToken(tok))
			}
		}
		v, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 130))
		if err != nil {
			t.Fatal(err)
		}
		tok := v.Text(36)
		for len(tok) < 26 {
			tok = "0" + tok
		}
		if err := generator.CheckToken(tok); err != nil {
			t.Fatalf("CheckToken(%q), random base36: %v", tok, err)
		}
	}
}

// TestBuildRefusesWeakToken puts each weak token in a job file of a real
// site: the build refuses at validation, with the file and position, and
// writes nothing.
func TestBuildRefusesWeakToken(t *testing.T) {
	for _, tc := range weakTokens {
		t.Run(tc.name, func(t *testing.T) {
			dir := copySite(t, exampleSite)
			writeFiles(t, dir, map[string]string{markFile: strings.Replace(readSource("../"+markFile), markToken, tc.token, 1)})
			_, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow})
			list := generator.Errors(err)
			if len(list) != 1 || list[0].Pos.File != markFile || list[0].Pos.Line != 3 || !strings.Contains(list[0].Msg, tc.want) || list[0].Hint == "" {
				t.Errorf("Build = %v\n%s\nwant one error at %s:3 saying %q, with a hint", err, list.Format(), markFile, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "public")); !os.IsNotExist(err) {
				t.Errorf("public/ exists after a refused build (%v)", err)
			}
		})
	}
}
