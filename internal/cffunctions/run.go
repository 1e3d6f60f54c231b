package cffunctions

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/quickdumpnow/qdn/edge"
)

// maxRunTime stands in for CloudFront's limit on a function's run time; a
// function that runs past it fails, as on CloudFront.
const maxRunTime = time.Second

// budget is the run time that counts as 100% compute utilization. The value
// is arbitrary (goja is not CloudFront's engine); it only makes the number
// move with the work a function does.
const budget = 10 * time.Millisecond

type runResult struct {
	output      string
	err         string
	logs        []string
	utilization int
}

// runFunction runs code's handler on the event object (JSON) as
// TestFunction does, with the runtime of package edge that qdn serve and
// the tests use, and reports the event object the handler returned as
// FunctionOutput: {"request": ...} or {"response": ...}.
func runFunction(code, event []byte) (res runResult) {
	start := time.Now()
	defer func() {
		res.utilization = min(100, max(1, int(100*time.Since(start)/budget)))
	}()
	fn, err := edge.Compile("function.js", code)
	if err != nil {
		res.err = errorMessage(err)
		return res
	}
	out, logs, err := fn.Test(event, maxRunTime)
	res.logs = logs
	if err != nil {
		res.err = errorMessage(err)
		return res
	}
	if res.output, err = fillResponse(out); err != nil {
		res.err = "The function returned a result that cannot be serialized: " + err.Error()
	}
	return res
}

// fillResponse adds to a generated response the headers and cookies it
// left out, as CloudFront does.
func fillResponse(output string) (string, error) {
	var o map[string]map[string]any
	if err := json.Unmarshal([]byte(output), &o); err != nil {
		return "", err
	}
	r, ok := o["response"]
	if !ok {
		return output, nil
	}
	for _, k := range []string{"headers", "cookies"} {
		if r[k] == nil {
			r[k] = map[string]any{}
		}
	}
	b, err := json.Marshal(o)
	return string(b), err
}

func errorMessage(err error) string {
	var ex *goja.Exception
	var ie *goja.InterruptedError
	var se *goja.CompilerSyntaxError
	switch {
	case errors.As(err, &ie):
		return fmt.Sprint(ie.Value())
	case errors.As(err, &ex):
		return ex.Value().String()
	case errors.As(err, &se):
		return "SyntaxError: " + se.Error()
	case strings.Contains(err.Error(), "defines no function handler"):
		return "ReferenceError: handler is not defined"
	}
	return err.Error()
}
