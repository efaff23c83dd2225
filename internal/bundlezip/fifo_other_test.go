//go:build !unix

package bundlezip_test

import "errors"

func mkfifo(string) error { return errors.New("not on this system") }
