// Package templates holds qdn's default html/template files. They are
// embedded in the binary, so a site without a templates/ directory of its
// own still builds; a site's templates/NAME.html replaces the default of the
// same name.
//
// Files starting with an underscore are partials shared by every page
// (layout, style); every other file is a page template that starts with
// {{template "base" .}} and defines "main".
package templates

import "embed"

// FS holds the default templates.
//
//go:embed *.html
var FS embed.FS
