// Package cffunctions is a stand-in for the CloudFront Functions API, for
// tests: a net/http server on loopback that speaks CloudFront's REST-XML
// protocol (API version 2020-05-31) to the real AWS SDK client, written to
// the API reference, since no local implementation of this API exists.
//
// It keeps functions in memory with a DEVELOPMENT and a LIVE stage, each
// with an ETag that changes on every update, and answers CreateFunction,
// DescribeFunction, GetFunction, UpdateFunction, TestFunction and
// PublishFunction with the status codes and error codes of the reference:
// 404 NoSuchFunctionExists, 409 FunctionAlreadyExists, 412
// PreconditionFailed for a stale If-Match, 400 InvalidIfMatchVersion for a
// missing one, 413 FunctionSizeLimitExceeded past 10 KB. TestFunction runs
// the submitted code on the submitted event object with package edge, the
// same runtime as qdn serve's. UpdateFunction answers its new version in
// one spelling of the ETag header at a time (SetUpdateETagHeader). Deny
// refuses operations as IAM does for a user without their permission: 403
// AccessDenied.
package cffunctions

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

const (
	namespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
	prefix    = "/2020-05-31/function"
	// maxCodeSize is CloudFront's limit on a function's code.
	maxCodeSize = 10 * 1024
	account     = "123456789012"
)

// Stages of a function.
const (
	Development = "DEVELOPMENT"
	Live        = "LIVE"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,64}$`)

// Server is the stand-in. Open starts it; Close stops it.
type Server struct {
	// URL is the endpoint to give the SDK client, set by Open.
	URL string

	ln  net.Listener
	srv *http.Server
	wg  sync.WaitGroup

	mu         sync.Mutex
	etagHeader string
	hook       func(op, name string)
	denied     map[string]bool
	funcs      map[string]*function
	calls      []string
	seq        int
}

type function struct {
	name   string
	dev    stage
	live   *stage
	status string
}

type stage struct {
	code     []byte
	comment  string
	runtime  string
	etag     string
	created  time.Time
	modified time.Time
}

// Open starts the server on a free port of 127.0.0.1.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.ln = ln
	s.URL = "http://" + ln.Addr().String()
	s.funcs = map[string]*function{}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	return nil
}

// Close stops the server and waits for it.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	s.wg.Wait()
	return err
}

// SetHook sets a function called before each request is handled, with the
// operation's name (such as "UpdateFunction") and the function's name.
// Tests use it to change a function between two calls of the client, as
// another client would.
func (s *Server) SetHook(hook func(op, name string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
}

// SetUpdateETagHeader sets the name of the header in which UpdateFunction
// answers the new version: "ETtag", as the API reference spells it (the
// default), or "ETag", as every other operation does. A client must cope
// with either.
func (s *Server) SetUpdateETagHeader(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.etagHeader = name
}

// Deny makes the server refuse the operations ops (such as "GetFunction")
// from now on, as CloudFront does for a user whose policy does not allow
// cloudfront:<op>: HTTP 403 with an AccessDenied error document. Deny with
// no operation allows everything again. A refused request is still listed
// by Calls.
func (s *Server) Deny(ops ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = map[string]bool{}
	for _, op := range ops {
		s.denied[op] = true
	}
}

// Calls returns the operations served so far, such as
// "DescribeFunction qdn-rewrite DEVELOPMENT", in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Code returns the code of a function's stage, and whether it exists.
func (s *Server) Code(name, stageName string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.funcs[name]
	if f == nil {
		return nil, false
	}
	if stageName == Live {
		if f.live == nil {
			return nil, false
		}
		return f.live.code, true
	}
	return f.dev.code, true
}

// Put stores code in a function's DEVELOPMENT stage, creating the function
// when needed, as another client's CreateFunction or UpdateFunction would:
// the stage gets a new ETag.
func (s *Server) Put(name string, code []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC()
	f := s.funcs[name]
	if f == nil {
		f = &function{name: name, status: "UNPUBLISHED", dev: stage{runtime: "cloudfront-js-2.0", created: now}}
		s.funcs[name] = f
	}
	f.dev.code = append([]byte(nil), code...)
	f.dev.modified = now
	f.dev.etag = s.newETag()
}

// Publish copies a function's DEVELOPMENT stage to LIVE, as another
// client's PublishFunction would.
func (s *Server) Publish(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.funcs[name]; f != nil {
		s.publish(f)
	}
}

func (s *Server) publish(f *function) {
	live := f.dev
	live.etag = s.newETag()
	live.modified = time.Now().UTC()
	f.live = &live
	f.status = "UNASSOCIATED"
}

// newETag returns a version identifier in the style of CloudFront's, new on
// every call. s.mu must be held.
func (s *Server) newETag() string {
	s.seq++
	return fmt.Sprintf("E%012X", uint64(time.Now().UnixNano())<<8|uint64(s.seq&0xff))[:13]
}

// ServeHTTP routes a request to its operation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=") {
		writeError(w, http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), prefix)
	if !ok {
		writeError(w, http.StatusNotFound, "InvalidURI", "Could not parse the specified URI.")
		return
	}
	var name, action string
	if rest != "" && rest != "/" {
		parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
		if len(parts) > 2 {
			writeError(w, http.StatusNotFound, "InvalidURI", "Could not parse the specified URI.")
			return
		}
		var err error
		if name, err = url.PathUnescape(parts[0]); err != nil {
			writeError(w, http.StatusBadRequest, "InvalidArgument", "The function name is not valid.")
			return
		}
		if len(parts) == 2 {
			action = parts[1]
		}
	}
	var op string
	var handle func(http.ResponseWriter, *http.Request, string)
	switch {
	case r.Method == http.MethodPost && name == "":
		op, handle = "CreateFunction", s.create
	case r.Method == http.MethodGet && action == "describe":
		op, handle = "DescribeFunction", s.describe
	case r.Method == http.MethodGet && action == "" && name != "":
		op, handle = "GetFunction", s.get
	case r.Method == http.MethodPut && action == "" && name != "":
		op, handle = "UpdateFunction", s.update
	case r.Method == http.MethodPost && action == "test":
		op, handle = "TestFunction", s.test
	case r.Method == http.MethodPost && action == "publish":
		op, handle = "PublishFunction", s.publishOp
	default:
		writeError(w, http.StatusNotImplemented, "NotImplemented", fmt.Sprintf("%s %s is not implemented by this stand-in", r.Method, r.URL.Path))
		return
	}
	s.mu.Lock()
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		hook(op, name)
	}
	call := op
	if name != "" {
		call += " " + name
	}
	if st := r.URL.Query().Get("Stage"); st != "" {
		call += " " + st
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	denied := s.denied[op]
	s.mu.Unlock()
	if denied {
		resource := "arn:aws:cloudfront::" + account + ":function/" + name
		if name == "" {
			resource = "arn:aws:cloudfront::" + account + ":function/*"
		}
		writeError(w, http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: arn:aws:iam::%s:user/qdn is not authorized to perform: cloudfront:%s on resource: %s", account, op, resource))
		return
	}
	handle(w, r, name)
}

// Shapes of the API reference. Requests are read with these; responses are
// written with them.

type functionConfig struct {
	Comment string `xml:"Comment"`
	Runtime string `xml:"Runtime"`
}

type functionMetadata struct {
	FunctionARN      string `xml:"FunctionARN"`
	Stage            string `xml:"Stage"`
	CreatedTime      string `xml:"CreatedTime,omitempty"`
	LastModifiedTime string `xml:"LastModifiedTime"`
}

type functionSummary struct {
	XMLName          xml.Name         `xml:"FunctionSummary"`
	Xmlns            string           `xml:"xmlns,attr,omitempty"`
	Name             string           `xml:"Name"`
	Status           string           `xml:"Status"`
	FunctionConfig   functionConfig   `xml:"FunctionConfig"`
	FunctionMetadata functionMetadata `xml:"FunctionMetadata"`
}

type createRequest struct {
	XMLName        xml.Name        `xml:"CreateFunctionRequest"`
	Name           string          `xml:"Name"`
	FunctionConfig *functionConfig `xml:"FunctionConfig"`
	FunctionCode   *string         `xml:"FunctionCode"`
}

type updateRequest struct {
	XMLName        xml.Name        `xml:"UpdateFunctionRequest"`
	FunctionConfig *functionConfig `xml:"FunctionConfig"`
	FunctionCode   *string         `xml:"FunctionCode"`
}

type testRequest struct {
	XMLName     xml.Name `xml:"TestFunctionRequest"`
	EventObject *string  `xml:"EventObject"`
	Stage       string   `xml:"Stage"`
}

type testResult struct {
	XMLName               xml.Name         `xml:"TestResult"`
	Xmlns                 string           `xml:"xmlns,attr"`
	FunctionSummary       *functionSummary `xml:"FunctionSummary"`
	ComputeUtilization    string           `xml:"ComputeUtilization"`
	FunctionExecutionLogs []string         `xml:"FunctionExecutionLogs>member"`
	FunctionErrorMessage  string           `xml:"FunctionErrorMessage"`
	FunctionOutput        string           `xml:"FunctionOutput"`
}

func (s *Server) summary(f *function, st *stage, stageName string) functionSummary {
	return functionSummary{
		Xmlns:  namespace,
		Name:   f.name,
		Status: f.status,
		FunctionConfig: functionConfig{
			Comment: st.comment,
			Runtime: st.runtime,
		},
		FunctionMetadata: functionMetadata{
			FunctionARN:      "arn:aws:cloudfront::" + account + ":function/" + f.name,
			Stage:            stageName,
			CreatedTime:      st.created.Format("2006-01-02T15:04:05.000Z"),
			LastModifiedTime: st.modified.Format("2006-01-02T15:04:05.000Z"),
		},
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, _ string) {
	var req createRequest
	if !readXML(w, r, &req) {
		return
	}
	code, ok := readCode(w, req.FunctionCode, req.FunctionConfig)
	if !ok {
		return
	}
	if !nameRE.MatchString(req.Name) {
		writeError(w, http.StatusBadRequest, "InvalidArgument", "Name must match [a-zA-Z0-9-_]{1,64}.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.funcs[req.Name] != nil {
		writeError(w, http.StatusConflict, "FunctionAlreadyExists", "A function with the same name already exists in this account.")
		return
	}
	now := time.Now().UTC()
	f := &function{name: req.Name, status: "UNPUBLISHED", dev: stage{
		code: code, comment: req.FunctionConfig.Comment, runtime: req.FunctionConfig.Runtime,
		etag: s.newETag(), created: now, modified: now,
	}}
	s.funcs[req.Name] = f
	sum := s.summary(f, &f.dev, Development)
	w.Header().Set("ETag", f.dev.etag)
	w.Header().Set("Location", "https://cloudfront.amazonaws.com"+prefix+"/"+sum.FunctionMetadata.FunctionARN)
	writeXML(w, http.StatusCreated, sum)
}

// lookup finds a function's stage, writing the error when there is none.
// s.mu must be held.
func (s *Server) lookup(w http.ResponseWriter, name, stageName string) (*function, *stage, bool) {
	f := s.funcs[name]
	var st *stage
	switch {
	case f == nil:
	case stageName == "" || stageName == Development:
		st = &f.dev
	case stageName == Live:
		st = f.live
	default:
		writeError(w, http.StatusBadRequest, "InvalidArgument", "Stage must be DEVELOPMENT or LIVE.")
		return nil, nil, false
	}
	if st == nil {
		writeError(w, http.StatusNotFound, "NoSuchFunctionExists", "The specified function does not exist.")
		return nil, nil, false
	}
	return f, st, true
}

func stageOf(v string) string {
	if v == "" {
		return Development
	}
	return v
}

func (s *Server) describe(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stageName := r.URL.Query().Get("Stage")
	f, st, ok := s.lookup(w, name, stageName)
	if !ok {
		return
	}
	w.Header().Set("ETag", st.etag)
	writeXML(w, http.StatusOK, s.summary(f, st, stageOf(stageName)))
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, st, ok := s.lookup(w, name, r.URL.Query().Get("Stage"))
	if !ok {
		return
	}
	w.Header().Set("ETag", st.etag)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(st.code)
}

// checkIfMatch answers a missing or stale If-Match; s.mu must be held.
func checkIfMatch(w http.ResponseWriter, r *http.Request, st *stage) bool {
	switch m := r.Header.Get("If-Match"); {
	case m == "":
		writeError(w, http.StatusBadRequest, "InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
		return false
	case m != st.etag:
		writeError(w, http.StatusPreconditionFailed, "PreconditionFailed", "The precondition given in one or more of the request-header fields evaluated to false.")
		return false
	}
	return true
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, name string) {
	var req updateRequest
	if !readXML(w, r, &req) {
		return
	}
	code, ok := readCode(w, req.FunctionCode, req.FunctionConfig)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, st, ok := s.lookup(w, name, Development)
	if !ok || !checkIfMatch(w, r, st) {
		return
	}
	st.code, st.comment, st.runtime = code, req.FunctionConfig.Comment, req.FunctionConfig.Runtime
	st.modified = time.Now().UTC()
	st.etag = s.newETag()
	// The API reference names the header of UpdateFunction's new version
	// ETtag, and the SDK reads it from there.
	header := s.etagHeader
	if header == "" {
		header = "ETtag"
	}
	w.Header()[header] = []string{st.etag}
	writeXML(w, http.StatusOK, s.summary(f, st, Development))
}

func (s *Server) publishOp(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, st, ok := s.lookup(w, name, Development)
	if !ok || !checkIfMatch(w, r, st) {
		return
	}
	s.publish(f)
	writeXML(w, http.StatusOK, s.summary(f, f.live, Live))
}

func (s *Server) test(w http.ResponseWriter, r *http.Request, name string) {
	var req testRequest
	if !readXML(w, r, &req) {
		return
	}
	if req.EventObject == nil {
		writeError(w, http.StatusBadRequest, "InvalidArgument", "EventObject is required.")
		return
	}
	event, err := base64.StdEncoding.DecodeString(strings.TrimSpace(*req.EventObject))
	if err != nil || len(event) > 40960 {
		writeError(w, http.StatusBadRequest, "InvalidArgument", "EventObject must be base64 of at most 40960 bytes.")
		return
	}
	s.mu.Lock()
	f, st, ok := s.lookup(w, name, req.Stage)
	if !ok || !checkIfMatch(w, r, st) {
		s.mu.Unlock()
		return
	}
	code := st.code
	sum := s.summary(f, st, stageOf(req.Stage))
	s.mu.Unlock()

	run := runFunction(code, event)
	sum.Xmlns = ""
	writeXML(w, http.StatusOK, testResult{
		Xmlns:                 namespace,
		FunctionSummary:       &sum,
		ComputeUtilization:    fmt.Sprint(run.utilization),
		FunctionExecutionLogs: run.logs,
		FunctionErrorMessage:  run.err,
		FunctionOutput:        run.output,
	})
}

func readXML(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = xml.Unmarshal(body, v)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "MalformedInput", "The XML document you provided was not well-formed: "+err.Error())
		return false
	}
	return true
}

func readCode(w http.ResponseWriter, b64 *string, cfg *functionConfig) ([]byte, bool) {
	if b64 == nil || cfg == nil {
		writeError(w, http.StatusBadRequest, "InvalidArgument", "FunctionCode and FunctionConfig are required.")
		return nil, false
	}
	code, err := base64.StdEncoding.DecodeString(strings.TrimSpace(*b64))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidArgument", "FunctionCode is not valid base64.")
		return nil, false
	}
	if len(code) > maxCodeSize {
		writeError(w, http.StatusRequestEntityTooLarge, "FunctionSizeLimitExceeded", "The function is too large.")
		return nil, false
	}
	if cfg.Runtime != "cloudfront-js-1.0" && cfg.Runtime != "cloudfront-js-2.0" {
		writeError(w, http.StatusBadRequest, "InvalidArgument", "Runtime must be cloudfront-js-1.0 or cloudfront-js-2.0.")
		return nil, false
	}
	if len(cfg.Comment) > 128 {
		writeError(w, http.StatusBadRequest, "InvalidArgument", "Comment must be at most 128 characters.")
		return nil, false
	}
	return code, true
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amz-Request-Id", "cffunctions-stand-in")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(b)
}

// writeError writes CloudFront's error document: an ErrorResponse wrapping
// an Error with Type, Code and Message.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	type errorBody struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type errorResponse struct {
		XMLName   xml.Name  `xml:"ErrorResponse"`
		Xmlns     string    `xml:"xmlns,attr"`
		Error     errorBody `xml:"Error"`
		RequestID string    `xml:"RequestId"`
	}
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	b, _ := xml.Marshal(errorResponse{Xmlns: namespace, Error: errorBody{Type: typ, Code: code, Message: msg}, RequestID: "cffunctions-stand-in"})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(b)
}
