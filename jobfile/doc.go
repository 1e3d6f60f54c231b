// Package jobfile reads and edits a site's job files one at a time, for the
// qdn job commands: create a job, move it to another status, give it a new
// token, import the old system's jobs.json, and move ended jobs to the
// archive.
//
// A Site holds everything an operation needs: the site directory, its
// configuration, the clock and the source of randomness, so no operation
// reads the clock or the system's randomness itself and a test can fix both.
//
// Data flows from the file and back to it. An operation reads jobs/<id>.yaml
// through generator.ReadSource and parses it with generator.ParseJob,
// exactly as a build does; it changes the text, not a decoded copy
// (edit.go: the YAML syntax tree says where a value is, and only its bytes
// change, so comments and layout stay); it parses the new text again and
// refuses to write unless it holds exactly the job intended; and it writes
// through package atomicfile, renamed over the old file, or linked to a new
// name that must not exist. The rules of a valid job, of tokens and of
// money are generator's and are not repeated here.
package jobfile
