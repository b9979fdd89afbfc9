package xfer

// SetNumCPU makes the copy see n CPUs until the returned function is
// called.
func SetNumCPU(n int) (restore func()) {
	old := numCPU
	numCPU = func() int { return n }
	return func() { numCPU = old }
}
