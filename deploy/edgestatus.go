package deploy

import (
	"bytes"
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// EdgeStatus is the Edge section of Status: the stages of the
// environment's CloudFront Function against edge/rewrite.js.
type EdgeStatus struct {
	// Function is the function's name; empty when the environment names
	// none, and the other fields are then empty.
	Function string `json:"function"`
	// Exists says the function exists on CloudFront; Published that it has
	// a LIVE stage, whose version is LiveETag.
	Exists    bool   `json:"exists"`
	Published bool   `json:"published"`
	LiveETag  string `json:"live_etag"`
	// LiveIsLocal says LIVE runs the code of edge/rewrite.js.
	LiveIsLocal bool `json:"live_is_local"`
	// DevelopmentDiffers says DEVELOPMENT holds other code than LIVE: a
	// publish or a test left half done.
	DevelopmentDiffers bool   `json:"development_differs"`
	Error              string `json:"error,omitempty"`
}

// Status reads both stages of the function (two GetFunction calls) and
// compares them with the local code. It changes nothing. Without the
// permission to read the function, the error says which one is needed.
func (f *Function) Status(ctx context.Context) (EdgeStatus, error) {
	st := EdgeStatus{Function: f.Name}
	type stage struct {
		code, etag string
		ok         bool
		err        error
	}
	read := func(s cftypes.FunctionStage, into chan<- stage) {
		out, err := f.Client.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String(f.Name), Stage: s})
		switch {
		case isAPIError(err, "NoSuchFunctionExists"):
			into <- stage{}
		case accessDenied(err):
			into <- stage{err: errors.New("needs cloudfront:GetFunction")}
		case err != nil:
			into <- stage{err: f.wrap("get "+string(s)+" code of", err)}
		default:
			into <- stage{code: string(out.FunctionCode), etag: aws.ToString(out.ETag), ok: true}
		}
	}
	livec, devc := make(chan stage, 1), make(chan stage, 1)
	go read(cftypes.FunctionStageLive, livec)
	go read(cftypes.FunctionStageDevelopment, devc)
	live, dev := <-livec, <-devc
	if live.err != nil {
		return st, live.err
	}
	if dev.err != nil {
		return st, dev.err
	}
	st.Exists = dev.ok
	st.Published, st.LiveETag = live.ok, live.etag
	st.LiveIsLocal = live.ok && bytes.Equal([]byte(live.code), f.Code)
	st.DevelopmentDiffers = dev.ok && (!live.ok || dev.code != live.code)
	return st, nil
}
