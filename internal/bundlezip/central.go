package bundlezip

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/helios-action/helios-action/internal/regular"
)

// Records of the zip format (PKWARE APPNOTE 6.3) that the count below reads.
const (
	sigCentral   = 0x02014b50
	sigEnd       = 0x06054b50
	sigEnd64     = 0x06064b50
	sigLocator64 = 0x07064b50

	centralLen   = 46 // fixed part of a central directory header
	endLen       = 22 // end of central directory record, without its comment
	locator64Len = 20
	end64Len     = 56
	// maxTail is how far from the end the end record can start: its own
	// length plus the longest comment.
	maxTail = endLen + math.MaxUint16
)

// maxDirectory bounds the central directory's bytes. archive/zip holds a
// parsed copy of every header, names and extra fields included, so this is
// what its parse can cost. The directory lists the files the ledger lists,
// one header of about the size of a ledger line each, so it gets the
// ledger's own bound.
const maxDirectory = 256 << 20

var errNotZip = errors.New("not a zip file (no end of central directory record)")

// countEntries counts the central directory headers of the zip in r, as
// archive/zip will find them, without keeping any, and fails as soon as
// there are more than maxEntries or their bytes pass maxDirectory.
//
// archive/zip.NewReader reads headers until one fails to parse, whatever
// count the end record gives (it compares only the low 16 bits), so the
// count and sizes in the end record bound nothing: the headers themselves
// must be counted before archive/zip is allowed to load them. The walk
// starts where archive/zip starts: the end record's directory offset,
// shifted by the bytes found before the archive (a self-extracting stub),
// or unshifted when a header is found there; both are counted and the
// larger count is taken, so archive/zip can never load more.
func countEntries(r io.ReaderAt, size int64, maxEntries int) (int, error) {
	end, dirSize, dirOff, err := findEnd(r, size)
	if err != nil {
		return 0, err
	}
	if dirSize > math.MaxInt64 || dirOff > math.MaxInt64 {
		return 0, errNotZip
	}
	base := end - int64(dirSize) - int64(dirOff)
	starts := []int64{base + int64(dirOff)}
	if base > 0 {
		starts = append(starts, int64(dirOff))
	}
	most := 0
	for _, start := range starts {
		if start < 0 || start >= size {
			continue
		}
		n, err := countFrom(r, start, size, maxEntries)
		if err != nil {
			return 0, err
		}
		most = max(most, n)
	}
	return most, nil
}

// findEnd locates the end of central directory record (and its zip64
// form, when the 32-bit fields are saturated) the way archive/zip does:
// the last signature in the final 64 KiB whose comment fits in the file.
// It returns the offset of the record that holds the directory's size and
// offset, and those two values.
func findEnd(r io.ReaderAt, size int64) (end int64, dirSize, dirOff uint64, err error) {
	n := min(size, maxTail)
	if n < endLen {
		return 0, 0, 0, errNotZip
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil && !errors.Is(err, io.EOF) {
		return 0, 0, 0, err
	}
	p := -1
	for i := len(buf) - endLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == sigEnd {
			if i+endLen+int(binary.LittleEndian.Uint16(buf[i+20:])) > len(buf) {
				return 0, 0, 0, errNotZip
			}
			p = i
			break
		}
	}
	if p < 0 {
		return 0, 0, 0, errNotZip
	}
	rec := buf[p:]
	end = size - n + int64(p)
	records := binary.LittleEndian.Uint16(rec[10:])
	dirSize = uint64(binary.LittleEndian.Uint32(rec[12:]))
	dirOff = uint64(binary.LittleEndian.Uint32(rec[16:]))
	if records != math.MaxUint16 && dirSize != math.MaxUint16 && dirOff != math.MaxUint32 {
		return end, dirSize, dirOff, nil
	}
	// A zip64 end record, found through the locator just before.
	if end < locator64Len {
		return end, dirSize, dirOff, nil
	}
	var loc [locator64Len]byte
	if _, err := r.ReadAt(loc[:], end-locator64Len); err != nil {
		return 0, 0, 0, errNotZip
	}
	if binary.LittleEndian.Uint32(loc[0:]) != sigLocator64 ||
		binary.LittleEndian.Uint32(loc[4:]) != 0 ||
		binary.LittleEndian.Uint32(loc[16:]) != 1 {
		return end, dirSize, dirOff, nil
	}
	at := binary.LittleEndian.Uint64(loc[8:])
	if at > math.MaxInt64-end64Len {
		return 0, 0, 0, errNotZip
	}
	var e64 [end64Len]byte
	if _, err := r.ReadAt(e64[:], int64(at)); err != nil {
		return 0, 0, 0, errNotZip
	}
	if binary.LittleEndian.Uint32(e64[0:]) != sigEnd64 {
		return 0, 0, 0, errNotZip
	}
	return int64(at), binary.LittleEndian.Uint64(e64[40:]), binary.LittleEndian.Uint64(e64[48:]), nil
}

// countFrom counts the well-formed central headers from start on.
func countFrom(r io.ReaderAt, start, size int64, maxEntries int) (int, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, start, size-start), 64<<10)
	var hdr [centralLen]byte
	var bytes int64
	n := 0
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return n, nil // archive/zip stops here too
		}
		if binary.LittleEndian.Uint32(hdr[:]) != sigCentral {
			return n, nil
		}
		rest := int(binary.LittleEndian.Uint16(hdr[28:])) +
			int(binary.LittleEndian.Uint16(hdr[30:])) +
			int(binary.LittleEndian.Uint16(hdr[32:]))
		if d, err := br.Discard(rest); d < rest || err != nil {
			return n, nil
		}
		n++
		bytes += int64(centralLen + rest)
		if n > maxEntries {
			return 0, fmt.Errorf("%w: the zip has more than %d entries", ErrLimit, maxEntries)
		}
		if bytes > maxDirectory {
			return 0, fmt.Errorf("%w: the zip's central directory is over %s", ErrLimit, regular.Bytes(maxDirectory))
		}
	}
}
