//go:build !linux

package engine

import (
	"errors"

	"github.com/helios-action/helios-action/internal/supervise"
)

// handOver is never reached off Linux: steps do not run there.
func (r *run) handOver(u *supervise.User) error {
	return errors.New("handing the report root to the steps' user needs Linux")
}
