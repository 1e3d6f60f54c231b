package generator

import (
	"path/filepath"
)

// Result is what a build made.
type Result struct {
	Site    *Site
	Output  *Output
	Changes *Changes
}

// Build loads, validates and renders the site at dir and writes it to
// dir/public. Nothing is written unless every source is valid and every page
// rendered.
func Build(dir string, opt Options) (*Result, error) {
	s, err := Load(dir, opt)
	if err != nil {
		return &Result{Site: s}, err
	}
	out, err := Render(s)
	if err != nil {
		return &Result{Site: s}, err
	}
	c, err := Write(filepath.Join(dir, PublicDir), out)
	if err != nil {
		return &Result{Site: s, Output: out}, err
	}
	return &Result{Site: s, Output: out, Changes: c}, nil
}
