package bundlezip

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/helios-action/helios-action/internal/regular"
)

// budget is what one Verify or Extract may still inflate.
type budget struct{ left, limit int64 }

func newBudget(limit int64) *budget { return &budget{left: limit, limit: limit} }

// reserve takes the declared sizes of the entries about to be read, so a
// zip that declares more than the limit is refused before any read.
func (b *budget) reserve(declared uint64) error {
	if declared > uint64(b.limit) {
		return fmt.Errorf("%w: the files to read declare %s uncompressed in all, over the %s limit",
			ErrLimit, regular.Bytes(int64(min(declared, 1<<62))), regular.Bytes(b.limit))
	}
	return nil
}

// corruptError is an entry whose data does not inflate to what its header
// declares: a checksum or format error, a short or long stream. The zip
// was changed after it was written.
type corruptError struct{ err error }

func (e *corruptError) Error() string { return e.err.Error() }
func (e *corruptError) Unwrap() error { return e.err }

// tooLarge is an entry that declares more than limit bytes.
func tooLarge(f *zip.File, limit int64, what string) error {
	return fmt.Errorf("%w: %w", ErrLimit, &regular.TooLargeError{
		Size: int64(min(f.UncompressedSize64, 1<<62)), Limit: limit, What: what})
}

var errLonger = errors.New("its data is longer than its header declares")

// copyEntry inflates f into w: at most limit bytes (a longer file is a
// *regular.TooLargeError), within bud, stopping when ctx is done. Errors
// reading the entry's data are *corruptError; those of w are returned as
// they are.
func copyEntry(ctx context.Context, f *zip.File, w io.Writer, limit int64, what string, bud *budget) error {
	if f.UncompressedSize64 > uint64(limit) {
		return tooLarge(f, limit, what)
	}
	rc, err := f.Open()
	if err != nil {
		return &corruptError{err}
	}
	defer rc.Close()
	// archive/zip already fails a stream longer than the declared size;
	// reading one byte past it checks that here too, since the headers
	// are the hostile part.
	want := int64(f.UncompressedSize64)
	r := regular.NewReader(ctx, io.LimitReader(rc, want+1))
	// A bundle is mostly small files: a buffer of 64 KiB for each made
	// the merge of 8,000 files spend a fifth of its time clearing memory.
	buf := make([]byte, min(want+1, 64<<10))
	var n int64
	for {
		k, rerr := r.Read(buf)
		n += int64(k)
		bud.left -= int64(k)
		switch {
		case n > want:
			return &corruptError{errLonger}
		case bud.left < 0:
			return fmt.Errorf("%w: more than %s inflated", ErrLimit, regular.Bytes(bud.limit))
		}
		if k > 0 {
			if _, err := w.Write(buf[:k]); err != nil {
				return err
			}
		}
		switch {
		case rerr == io.EOF:
			return nil
		case rerr != nil && ctx.Err() != nil:
			return ctx.Err()
		case rerr != nil:
			return &corruptError{rerr}
		}
	}
}
