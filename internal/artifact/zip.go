package artifact

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"
)

// The zip format (PKWARE APPNOTE 6.3), written as a stream: each entry's
// local header with zero sizes and flag bit 3, its data, a data descriptor
// with the CRC-32 and sizes, and at the end the central directory. Nothing is
// ever seeked back to, so the archive can go straight to the network.
const (
	sigLocal      = 0x04034b50
	sigDescriptor = 0x08074b50
	sigCentral    = 0x02014b50
	sigEnd64      = 0x06064b50
	sigLocator64  = 0x07064b50
	sigEnd        = 0x06054b50

	methodStore   = 0
	methodDeflate = 8

	flagDescriptor = 0x0008 // sizes and CRC follow the data
	flagUTF8       = 0x0800 // the name is UTF-8

	version20 = 20 // deflate, folders
	version45 = 45 // zip64
	creator   = 3  // Unix: external attributes hold the mode

	extraZip64     = 0x0001
	extraTimestamp = 0x5455 // "UT": modification time as Unix seconds

	max16 = math.MaxUint16
	max32 = math.MaxUint32

	// fileMode is S_IFREG|0644, what unzip restores: bundles hold regular
	// files that anyone may read.
	fileMode = 0o100644
)

// zipEntry is what the central directory needs to know about an entry.
type zipEntry struct {
	name         string
	method       uint16
	flags        uint16
	date, time   uint16
	mtime        int64 // Unix seconds, for the "UT" field
	crc          uint32
	csize, usize uint64
	offset       uint64
	zip64        bool // the local header has a zip64 field: 8-byte descriptor sizes
}

// zipWriter writes the archive to w. Calls: begin, data writes, end, per
// entry; close once.
type zipWriter struct {
	w       io.Writer
	off     uint64 // bytes written so far
	dir     []zipEntry
	cur     *zipEntry
	dataOff uint64 // offset of the current entry's data
	buf     []byte
	// force64 writes every zip64 structure even when sizes are small, so
	// tests can check them without writing 4 GiB.
	force64 bool
}

func newZipWriter(w io.Writer) *zipWriter { return &zipWriter{w: w} }

func (z *zipWriter) write(p []byte) error {
	n, err := z.w.Write(p)
	z.off += uint64(n)
	return err
}

// needs64 says whether an entry of (at most) size bytes must be written as
// zip64. The compressed size is not known in advance; deflate's worst case
// on incompressible data is a few bytes per 16 KiB over the input, so the
// margin keeps a 4 GiB − ε file from overflowing 32 bits after the fact.
func needs64(size int64) bool {
	return uint64(size)+uint64(size)/1024+(1<<20) >= max32
}

// begin writes an entry's local header.
func (z *zipWriter) begin(name string, method uint16, mod time.Time, size int64) error {
	if z.cur != nil {
		return errors.New("zip: begin inside an entry")
	}
	if len(name) > max16 {
		return fmt.Errorf("zip: name of %d bytes is too long", len(name))
	}
	e := zipEntry{
		name:   name,
		method: method,
		flags:  flagDescriptor,
		offset: z.off,
		zip64:  z.force64 || needs64(size),
	}
	if !isASCII(name) && utf8.ValidString(name) {
		e.flags |= flagUTF8
	}
	e.date, e.time = dosTime(mod)
	e.mtime = mod.Unix()

	b := z.buf[:0]
	b = le32(b, sigLocal)
	if e.zip64 {
		b = le16(b, version45)
	} else {
		b = le16(b, version20)
	}
	b = le16(b, e.flags)
	b = le16(b, e.method)
	b = le16(b, e.time)
	b = le16(b, e.date)
	b = le32(b, 0) // CRC-32: in the descriptor
	if e.zip64 {
		b = le32(b, max32)
		b = le32(b, max32)
	} else {
		b = le32(b, 0)
		b = le32(b, 0)
	}
	b = le16(b, uint16(len(name)))
	extra := localExtraLen(e)
	b = le16(b, uint16(extra))
	b = append(b, name...)
	if e.zip64 {
		// Sizes are zero here; the descriptor carries them, as 8 bytes
		// because this field is present.
		b = le16(b, extraZip64)
		b = le16(b, 16)
		b = le64(b, 0)
		b = le64(b, 0)
	}
	b = appendTimestamp(b, e)
	z.buf = b
	if err := z.write(b); err != nil {
		return err
	}
	z.dir = append(z.dir, e)
	z.cur = &z.dir[len(z.dir)-1]
	z.dataOff = z.off
	return nil
}

func localExtraLen(e zipEntry) int {
	n := 0
	if e.zip64 {
		n += 4 + 16
	}
	if hasTimestamp(e) {
		n += 4 + 5
	}
	return n
}

func hasTimestamp(e zipEntry) bool { return e.mtime >= 0 && e.mtime <= max32 }

func appendTimestamp(b []byte, e zipEntry) []byte {
	if !hasTimestamp(e) {
		return b
	}
	b = le16(b, extraTimestamp)
	b = le16(b, 5)
	b = append(b, 1) // flags: modification time present
	return le32(b, uint32(e.mtime))
}

// data writes entry data (already compressed for deflate entries).
func (z *zipWriter) data(p []byte) error {
	if z.cur == nil {
		return errors.New("zip: data outside an entry")
	}
	return z.write(p)
}

// end writes the current entry's data descriptor.
func (z *zipWriter) end(crc uint32, usize uint64) error {
	e := z.cur
	if e == nil {
		return errors.New("zip: end outside an entry")
	}
	z.cur = nil
	e.crc, e.usize, e.csize = crc, usize, z.off-z.dataOff
	if !e.zip64 && (e.csize >= max32 || e.usize >= max32) {
		return fmt.Errorf("zip: %q grew past 4 GiB while being written", e.name)
	}
	b := z.buf[:0]
	b = le32(b, sigDescriptor)
	b = le32(b, e.crc)
	if e.zip64 {
		b = le64(b, e.csize)
		b = le64(b, e.usize)
	} else {
		b = le32(b, uint32(e.csize))
		b = le32(b, uint32(e.usize))
	}
	z.buf = b
	return z.write(b)
}

// close writes the central directory and the end records.
func (z *zipWriter) close() error {
	if z.cur != nil {
		return errors.New("zip: close inside an entry")
	}
	start := z.off
	for _, e := range z.dir {
		if err := z.write(z.central(e)); err != nil {
			return err
		}
	}
	size := z.off - start
	n := uint64(len(z.dir))
	b := z.buf[:0]
	if z.force64 || n >= max16 || size >= max32 || start >= max32 {
		end64 := z.off
		b = le32(b, sigEnd64)
		b = le64(b, 44) // size of the rest of this record
		b = le16(b, creator<<8|version45)
		b = le16(b, version45)
		b = le32(b, 0) // this disk
		b = le32(b, 0) // disk of the central directory
		b = le64(b, n)
		b = le64(b, n)
		b = le64(b, size)
		b = le64(b, start)
		b = le32(b, sigLocator64)
		b = le32(b, 0)
		b = le64(b, end64)
		b = le32(b, 1) // disks
		n, size, start = min(n, max16), min(size, max32), min(start, max32)
		if z.force64 {
			n, size, start = max16, max32, max32
		}
	}
	b = le32(b, sigEnd)
	b = le16(b, 0)
	b = le16(b, 0)
	b = le16(b, uint16(n))
	b = le16(b, uint16(n))
	b = le32(b, uint32(size))
	b = le32(b, uint32(start))
	b = le16(b, 0) // comment length
	z.buf = b
	return z.write(b)
}

// central renders one central directory header.
func (z *zipWriter) central(e zipEntry) []byte {
	// A zip64 field holds, in this order, the values whose 32-bit field
	// reads 0xFFFFFFFF. An entry with a zip64 local header keeps both
	// sizes there, as readers expect the two headers to agree.
	big := e.zip64 || e.usize >= max32 || e.csize >= max32
	farOff := z.force64 || e.offset >= max32
	var x []byte
	if big {
		x = le64(x, e.usize)
		x = le64(x, e.csize)
	}
	if farOff {
		x = le64(x, e.offset)
	}
	need := uint16(version20)
	if big || farOff {
		need = version45
	}
	b := make([]byte, 0, 46+len(e.name)+4+len(x)+9)
	b = le32(b, sigCentral)
	b = le16(b, creator<<8|need)
	b = le16(b, need)
	b = le16(b, e.flags)
	b = le16(b, e.method)
	b = le16(b, e.time)
	b = le16(b, e.date)
	b = le32(b, e.crc)
	if big {
		b = le32(b, max32)
		b = le32(b, max32)
	} else {
		b = le32(b, uint32(e.csize))
		b = le32(b, uint32(e.usize))
	}
	b = le16(b, uint16(len(e.name)))
	extra := 0
	if len(x) > 0 {
		extra += 4 + len(x)
	}
	if hasTimestamp(e) {
		extra += 4 + 5
	}
	b = le16(b, uint16(extra))
	b = le16(b, 0) // comment
	b = le16(b, 0) // disk
	b = le16(b, 0) // internal attributes
	b = le32(b, fileMode<<16)
	if farOff {
		b = le32(b, max32)
	} else {
		b = le32(b, uint32(e.offset))
	}
	b = append(b, e.name...)
	if len(x) > 0 {
		b = le16(b, extraZip64)
		b = le16(b, uint16(len(x)))
		b = append(b, x...)
	}
	return appendTimestamp(b, e)
}

// dosTime converts t (as UTC, so the archive does not depend on the
// machine's zone) to MS-DOS date and time, clamped to what they can hold.
func dosTime(t time.Time) (date, tm uint16) {
	t = t.UTC()
	switch {
	case t.Year() < 1980:
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	case t.Year() > 2107:
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
