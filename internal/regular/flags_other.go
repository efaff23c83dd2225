//go:build !unix

package regular

const openFlags = 0

// noFollow: OpenNoFollow's Lstat still refuses a link.
const noFollow = 0
