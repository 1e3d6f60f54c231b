package generator

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"math"
	"strings"
)

// TokenBits is the least entropy a tracking token must carry.
const TokenBits = 128

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewToken returns a fresh capability token: 128 random bits from r
// (crypto/rand when r is nil) as 26 characters of lowercase base32.
func NewToken(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, TokenBits/8)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return tokenEncoding.EncodeToString(b), nil
}

// MaxTokenLen is the longest token accepted: 256 bits of hexadecimal. It
// keeps the page's path, public/track/<token>/index.html, and the
// temporary file written beside it well within every file system's limit
// on a name (255 bytes) and S3's on a key, so that a token that passes
// validation can always be written.
const MaxTokenLen = 64

// minTokenSymbols is the fewest distinct characters a token may have. A
// random token of 25 or more characters from 16 to 36 symbols has about 14
// to 19 distinct ones; fewer than 8 happens to about one in 10^7 random
// hexadecimal tokens and almost never to base32 ones.
const minTokenSymbols = 8

// CheckToken reports why t cannot be a tracking token: it must be lowercase
// letters and digits only, since it becomes a path segment, at most
// MaxTokenLen long, and carry at least 128 bits by the alphabet it is
// written in (32 hexadecimal, 26 base32 or 25 base36 characters). A token
// that only looks long enough is refused too: one with few distinct
// characters (aaaa…, abab…), one that repeats a shorter part (the part
// must carry the 128 bits), and one that mostly walks the alphabet
// (abcdef…, 012345…).
func CheckToken(t string) error {
	if t == "" {
		return fmt.Errorf("token is empty")
	}
	if len(t) > MaxTokenLen {
		return fmt.Errorf("token is %d characters long, more than %d", len(t), MaxTokenLen)
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return fmt.Errorf("token %q has the character %q; a token is lowercase letters and digits only", t, r)
		}
	}
	alphabet, size := "base36", 36.0
	switch {
	case strings.Trim(t, "0123456789abcdef") == "":
		alphabet, size = "hexadecimal", 16
	case strings.Trim(t, "abcdefghijklmnopqrstuvwxyz234567") == "":
		alphabet, size = "base32", 32
	}
	bits := float64(len(t)) * math.Log2(size)
	if bits < TokenBits {
		need := int(math.Ceil(TokenBits / math.Log2(size)))
		return fmt.Errorf("token is too weak: %d %s characters carry %d bits, fewer than %d (that needs %d characters)",
			len(t), alphabet, int(bits), TokenBits, need)
	}
	// The characters are 0-9 and a-z (checked above): one bit each.
	var seen uint64
	distinct := 0
	for i := 0; i < len(t); i++ {
		c := t[i] - '0'
		if t[i] >= 'a' {
			c = t[i] - 'a' + 10
		}
		if seen&(1<<c) == 0 {
			seen |= 1 << c
			distinct++
		}
	}
	if distinct < minTokenSymbols {
		return fmt.Errorf("token is too weak: it uses only %d distinct characters, fewer than %d; it cannot be random", distinct, minTokenSymbols)
	}
	if p := period(t); p < len(t) && float64(p)*math.Log2(size) < TokenBits {
		return fmt.Errorf("token is too weak: it repeats its first %d characters, which carry %d bits, fewer than %d",
			p, int(float64(p)*math.Log2(size)), TokenBits)
	}
	steps := 0
	for i := 1; i < len(t); i++ {
		if d := int(t[i]) - int(t[i-1]); d >= -1 && d <= 1 {
			steps++
		}
	}
	if 3*steps > 2*(len(t)-1) {
		return fmt.Errorf("token is too weak: it mostly runs along the alphabet or repeats characters (%d of %d neighbours are equal or next to each other); it cannot be random",
			steps, len(t)-1)
	}
	return nil
}

// period returns the length of the shortest prefix of t that t repeats at
// least twice (the last repetition may be cut short), or len(t) when there
// is none.
func period(t string) int {
	for p := 1; p <= len(t)/2; p++ {
		if t[p:] == t[:len(t)-p] {
			return p
		}
	}
	return len(t)
}
