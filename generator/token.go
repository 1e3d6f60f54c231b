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

// CheckToken reports why t cannot be a tracking token: it must be lowercase
// letters and digits only, since it becomes a path segment, and carry at
// least 128 bits by the alphabet it is written in (32 hexadecimal, 26 base32
// or 25 base36 characters).
func CheckToken(t string) error {
	if t == "" {
		return fmt.Errorf("token is empty")
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
	return nil
}
