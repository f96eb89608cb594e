//go:build !linux

package projections

// dropMapped is done only on Linux; elsewhere the builder reopens the file.
func dropMapped(string) bool { return false }
