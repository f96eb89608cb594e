package main

// DefaultOpsListen is where /metrics is served by default: loopback only,
// apart from the public HTTP address (docs/OPERATIONS.md section 3).
const DefaultOpsListen = "127.0.0.1:9464"
