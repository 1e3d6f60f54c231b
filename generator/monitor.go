package generator

import (
	"strconv"
	"strings"
)

// MonitorConfig holds the targets qdn status sets the edge's metrics
// against (monitor: in qdn.yaml). Rates and utilization are percentages.
type MonitorConfig struct {
	// CacheHitRate is the lowest acceptable CloudFront cache hit rate.
	CacheHitRate float64
	// ErrorRate5xx and ErrorRate4xx are the highest acceptable error rates;
	// a negative ErrorRate4xx means none is set (4xx answers include every
	// expired tracking link, which is not a fault).
	ErrorRate5xx float64
	ErrorRate4xx float64
	// ComputeUtilization is the highest acceptable compute utilization of
	// the CloudFront Function.
	ComputeUtilization float64
	// FunctionErrors is how many execution errors, validation errors and
	// throttles of the function are acceptable in the window, each.
	FunctionErrors float64
}

// DefaultMonitor are the targets when qdn.yaml does not set them: those the
// operators of the old system watched after every deploy.
var DefaultMonitor = MonitorConfig{CacheHitRate: 90, ErrorRate5xx: 0.1, ErrorRate4xx: -1, ComputeUtilization: 70, FunctionErrors: 0}

var monitorKeys = []string{"cache_hit_rate", "error_rate_5xx", "error_rate_4xx", "compute_utilization", "function_errors"}

func (c *Config) parseMonitor(e errs, n *node) {
	for _, g := range mapping(e, "monitor", n, monitorKeys) {
		key := "monitor." + g.Name
		s := str(e, key, g.Value)
		l, col := pos(g.Value)
		if g.Name == "function_errors" {
			v, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				e.at(l, col, "write a count such as 0", "%s %q is not a whole number", key, s)
				continue
			}
			c.Monitor.FunctionErrors = float64(v)
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
		if err != nil || v < 0 || v > 100 || s == "" {
			e.at(l, col, "write a percentage from 0 to 100, such as 90%", "%s %q is not a percentage", key, s)
			continue
		}
		switch g.Name {
		case "cache_hit_rate":
			c.Monitor.CacheHitRate = v
		case "error_rate_5xx":
			c.Monitor.ErrorRate5xx = v
		case "error_rate_4xx":
			c.Monitor.ErrorRate4xx = v
		case "compute_utilization":
			c.Monitor.ComputeUtilization = v
		}
	}
}
