// Package htmlexec runs html/template templates that html/template has
// already escaped, without the reflection its executor spends on every
// action.
//
// html/template does two things: it escapes a template once, working out the
// HTML context of every action and appending the escaping functions that
// context needs ({{.Name}} becomes {{.Name | _html_template_htmlescaper}}),
// and it then executes the escaped tree with text/template, which looks up
// every field by name and calls every escaping function through reflection,
// about two microseconds an action. A tracking page has some forty actions
// and a build renders ten thousand of them.
//
// Compile runs a template once with html/template, which escapes it and
// every template it calls, then turns the escaped tree into Go closures for
// the type of the data it was given: fields are resolved to their index
// once, and the escaping functions are called directly. It keeps the result
// only if that gives html/template's bytes for the same data. The escaping
// itself stays html/template's: the contexts are the ones it computed, and
// the escaping functions here are copies of its own for the cases they
// cover (see escape.go).
//
// Only a subset is compiled: text, field chains on structs, {{if}},
// {{with}}, {{range}} over slices, {{template}} and the escapers of HTML
// text, attributes, titles, URLs and style sheets. Anything else (a function
// or method call, a variable, a map, an interface, a template html/template
// derived for another context) compiles to a step that returns
// ErrUnsupported when it is reached, and so do a nil pointer met at run
// time and templates called more than a thousand deep: the caller then executes the page with html/template, which gives
// the same bytes, or the error text/template would give. The tests hold the
// output of both executors equal.
package htmlexec
