package ctl

// The answers portfolioctl reads are the server's own types: package
// services/wire for queries, services.VerifyResult and
// services.RebuildStatus for the audit and admin endpoints.

// first returns the first non-empty string.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
