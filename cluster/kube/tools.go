//go:build tools

// Package main's build-tag-guarded import keeps etcd's server module (the
// etcd binary is `go build go.etcd.io/etcd/server/v3`) in this module's graph.
package main

import _ "go.etcd.io/etcd/server/v3"
