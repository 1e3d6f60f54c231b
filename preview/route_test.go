package preview

import "testing"

// TestRoute checks that the preview routes through the edge function: the
// edge package runs the whole table of cases against rewrite.js; these few
// show the preview's side (decoding, redirects with their query).
func TestRoute(t *testing.T) {
	tests := []struct {
		uri, query string
		want       routeResult
	}{
		{"/", "", routeResult{URI: "/index.html"}},
		{"/about/", "", routeResult{URI: "/about/index.html"}},
		{"/track/abc/", "x=1", routeResult{URI: "/track/abc/index.html"}},
		{"/track/abc", "utm=sms&b=2", routeResult{Redirect: "/track/abc/?utm=sms&b=2", Status: 301}},
		{"/book/trailer-dump", "", routeResult{Redirect: "/book/trailer-dump/", Status: 301}},
		{"/book/logo.png", "", routeResult{URI: "/book/logo.png"}},
		{"/caf%C3%A9/", "", routeResult{URI: "/café/index.html"}},
		{"/robots.txt", "", routeResult{URI: "/robots.txt"}},
		{"/.%71dn/manifest.json", "", routeResult{Status: 404}},
		{"/track/%61bc/", "x=1", routeResult{Redirect: "/track/abc/?x=1", Status: 301}},
		{"/track/abc/index.html", "", routeResult{Redirect: "/track/abc/", Status: 301}},
		{"/caf%c3%a9/", "", routeResult{Redirect: "/caf%C3%A9/", Status: 301}},
		{"/%C0%AE/", "", routeResult{Status: 400}},
	}
	for _, tt := range tests {
		t.Run(tt.uri+"?"+tt.query, func(t *testing.T) {
			got, err := route(tt.uri, tt.query)
			if err != nil || got != tt.want {
				t.Errorf("route(%q, %q) = %+v, %v; want %+v", tt.uri, tt.query, got, err, tt.want)
			}
		})
	}
}
