package edge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Event returns the viewer-request event object CloudFront passes to a
// function for a GET of uri with the raw query string rawQuery, as JSON.
//
// Like CloudFront, it leaves the URI and every query name and value in the
// viewer's percent-encoded spelling, lists the parameters in the viewer's
// order, gives a repeated name its first value in value and all of them in
// multiValue, and gives a name without '=' the empty value.
func Event(uri, rawQuery string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"192.0.2.1"},"request":{"method":"GET","uri":`)
	writeJSONString(&b, uri)
	b.WriteString(`,"querystring":{`)
	params := parseQuery(rawQuery)
	for i, p := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, p.name)
		b.WriteString(`:{"value":`)
		writeJSONString(&b, p.values[0])
		if len(p.values) > 1 {
			b.WriteString(`,"multiValue":[`)
			for j, v := range p.values {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`{"value":`)
				writeJSONString(&b, v)
				b.WriteByte('}')
			}
			b.WriteByte(']')
		}
		b.WriteByte('}')
	}
	b.WriteString(`},"headers":{"host":{"value":"example.com"}},"cookies":{}}}`)
	return b.Bytes()
}

// param is one query string parameter: a name with every value it was
// given, in the viewer's order.
type param struct {
	name   string
	values []string
}

// parseQuery splits a raw query string the way CloudFront does for the
// querystring object, leaving names and values percent-encoded.
func parseQuery(rawQuery string) []*param {
	var params []*param
	var index map[string]*param
	for _, kv := range strings.Split(rawQuery, "&") {
		if kv == "" {
			continue
		}
		name, value, _ := strings.Cut(kv, "=")
		p := index[name]
		if p == nil {
			if index == nil {
				index = map[string]*param{}
			}
			p = &param{name: name}
			index[name] = p
			params = append(params, p)
		}
		p.values = append(p.values, value)
	}
	return params
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}

// ParseOutput reads a function's answer as CloudFront's TestFunction reports
// it in FunctionOutput (and Function.Run returns it): the request sent on to
// the origin, or the response sent to the viewer.
func ParseOutput(output string) (Result, error) {
	var out struct {
		Request *struct {
			URI *string `json:"uri"`
		} `json:"request"`
		Response *struct {
			StatusCode int `json:"statusCode"`
			Headers    map[string]struct {
				Value string `json:"value"`
			} `json:"headers"`
		} `json:"response"`
	}
	if err := json.Unmarshal([]byte(output), &out); err != nil {
		return Result{}, fmt.Errorf("read function output %.200q: %w", output, err)
	}
	switch {
	case out.Response != nil:
		if out.Response.StatusCode == 0 {
			return Result{}, fmt.Errorf("function output %.200q: a response without statusCode", output)
		}
		return Result{Status: out.Response.StatusCode, Redirect: out.Response.Headers["location"].Value}, nil
	case out.Request != nil && out.Request.URI != nil:
		return Result{URI: *out.Request.URI}, nil
	}
	return Result{}, errors.New("function output holds neither a request with a uri nor a response")
}
