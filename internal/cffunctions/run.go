package cffunctions

import (
	"fmt"
	"strings"
	"time"

	"github.com/dop251/goja"
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
// TestFunction does, in strict mode, and reports the event object the
// handler returned as FunctionOutput: {"request": ...} or {"response": ...}.
func runFunction(code, event []byte) (res runResult) {
	rt := goja.New()
	console := rt.NewObject()
	_ = console.Set("log", func(call goja.FunctionCall) goja.Value {
		var parts []string
		for _, a := range call.Arguments {
			parts = append(parts, a.String())
		}
		res.logs = append(res.logs, strings.Join(parts, " "))
		return goja.Undefined()
	})
	_ = rt.Set("console", console)

	prog, err := goja.Compile("function.js", string(code), true)
	if err != nil {
		res.err = "SyntaxError: " + err.Error()
		return res
	}
	timer := time.AfterFunc(maxRunTime, func() { rt.Interrupt("the function exceeded the maximum allowed time") })
	defer timer.Stop()
	start := time.Now()
	defer func() {
		res.utilization = min(100, max(1, int(100*time.Since(start)/budget)))
	}()
	if _, err := rt.RunProgram(prog); err != nil {
		res.err = errorMessage(err)
		return res
	}
	handler, ok := goja.AssertFunction(rt.Get("handler"))
	if !ok {
		res.err = "ReferenceError: handler is not defined"
		return res
	}
	parse, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))
	ev, err := parse(goja.Undefined(), rt.ToValue(string(event)))
	if err != nil {
		res.err = "the event object is not valid JSON: " + errorMessage(err)
		return res
	}
	out, err := handler(goja.Undefined(), ev)
	if err != nil {
		res.err = errorMessage(err)
		return res
	}
	if goja.IsUndefined(out) || goja.IsNull(out) {
		res.err = "The function returned no result"
		return res
	}
	obj := out.ToObject(rt)
	kind := "request"
	if sc := obj.Get("statusCode"); sc != nil && !goja.IsUndefined(sc) {
		kind = "response"
		// CloudFront fills in what a generated response leaves out.
		for _, k := range []string{"headers", "cookies"} {
			if v := obj.Get(k); v == nil || goja.IsUndefined(v) {
				_ = obj.Set(k, rt.NewObject())
			}
		}
	}
	wrap := rt.NewObject()
	_ = wrap.Set(kind, obj)
	stringify, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("stringify"))
	v, err := stringify(goja.Undefined(), wrap)
	if err == nil {
		res.output = v.String()
		return res
	}
	res.err = fmt.Sprintf("The function returned a result that cannot be serialized: %s", errorMessage(err))
	return res
}

func errorMessage(err error) string {
	switch e := err.(type) {
	case *goja.Exception:
		return e.Value().String()
	case *goja.InterruptedError:
		return fmt.Sprint(e.Value())
	}
	return err.Error()
}
