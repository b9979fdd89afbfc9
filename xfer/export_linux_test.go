package xfer

// SetL2Cache makes the copy see CPUs with n bytes of L2 cache (0: sysfs
// does not say) until the returned function is called.
func SetL2Cache(n int64) (restore func()) {
	old := l2CacheBytes
	l2CacheBytes = func() int64 { return n }
	return func() { l2CacheBytes = old }
}

// L2CacheBytes is l2CacheBytes.
func L2CacheBytes() int64 { return l2CacheBytes() }
