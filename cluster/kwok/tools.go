//go:build tools

// Keeps sigs.k8s.io/kwok/cmd/kwok (built with `go build`) in this module's graph.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
