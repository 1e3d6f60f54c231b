//go:build !unix

package generator

import (
	"os"
	"path/filepath"
)

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

func readFileStat(path string) ([]byte, stamp, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, stamp{}, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, stamp{}, err
	}
	return b, stampOf(info), nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + tmpPrefix
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func writeFileNew(path string, b []byte) error {
	return os.WriteFile(path, b, 0o644)
}

func mkdir(path string) error { return os.MkdirAll(path, 0o755) }

type statDir struct{ path string }

func openStatDir(path string) *statDir { return &statDir{path: path} }

func (d *statDir) stat(name string, follow bool) (stamp, error) {
	p := filepath.Join(d.path, filepath.FromSlash(name))
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	info, err := stat(p)
	if err != nil {
		return stamp{}, err
	}
	return stampOf(info), nil
}

func (d *statDir) close() {}
