package preview

import "testing"

func TestRoute(t *testing.T) {
	tests := []struct {
		uri, query string
		want       routeResult
	}{
		{"/", "", routeResult{URI: "/index.html"}},
		{"/about/", "", routeResult{URI: "/about/index.html"}},
		{"/track/abc/", "x=1", routeResult{URI: "/track/abc/index.html"}},
		{"/track/abc", "", routeResult{Redirect: "/track/abc/", Status: 301}},
		{"/track/abc", "utm=sms&b=2", routeResult{Redirect: "/track/abc/?utm=sms&b=2", Status: 301}},
		{"/book/trailer-dump", "", routeResult{Redirect: "/book/trailer-dump/", Status: 301}},
		{"/book/logo.png", "", routeResult{URI: "/book/logo.png"}},
		{"/track/abc/extra", "", routeResult{URI: "/track/abc/extra"}},
		{"/book", "", routeResult{URI: "/book"}},
		{"/robots.txt", "", routeResult{URI: "/robots.txt"}},
		{"/about", "", routeResult{URI: "/about"}},
	}
	for _, tt := range tests {
		t.Run(tt.uri+"?"+tt.query, func(t *testing.T) {
			if got := route(tt.uri, tt.query); got != tt.want {
				t.Errorf("route(%q, %q) = %+v; want %+v", tt.uri, tt.query, got, tt.want)
			}
		})
	}
}
