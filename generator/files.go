package generator

import (
	"os"
	"path/filepath"
)

func readSiteFile(dir, rel string) ([]byte, error) {
	return os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
}
