//go:build tools

// Keeps github.com/coredns/coredns (its module root is package main, built
// with `go build github.com/coredns/coredns`) in this module's graph.
package tools

import _ "github.com/coredns/coredns"
