package erpimport

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Defaults of the input limits (Options.MaxFileBytes, MaxFieldBytes): an
// export of a hundred thousand invoices is about 20 MB, and no
// field the import reads is longer than a few hundred bytes. Without them
// a 300 MB UBL field took 3.1 GB of memory.
const (
	DefaultMaxFileBytes  = 32 << 20
	DefaultMaxFieldBytes = 4 << 10
)

// Encodings the import decodes besides UTF-8 (Options.Encoding).
var encodings = map[string]encoding.Encoding{
	"latin1": charmap.ISO8859_1, "iso-8859-1": charmap.ISO8859_1,
	"windows-1252": charmap.Windows1252, "cp1252": charmap.Windows1252,
	"iso-8859-15": charmap.ISO8859_15, "latin9": charmap.ISO8859_15,
}

// EncodingNames lists the values Options.Encoding accepts.
const EncodingNames = "utf-8 (default), latin1 (iso-8859-1), latin9 (iso-8859-15), windows-1252 (cp1252)"

func (im *Import) maxFile() int64 {
	if im.opts.MaxFileBytes > 0 {
		return im.opts.MaxFileBytes
	}
	return DefaultMaxFileBytes
}

func (im *Import) maxField() int {
	if im.opts.MaxFieldBytes > 0 {
		return im.opts.MaxFieldBytes
	}
	return DefaultMaxFieldBytes
}

// readInput reads a whole file, at most the file limit (a limited reader:
// a larger file is refused after reading one byte more than the limit).
func (im *Import) readInput(file string, r io.Reader) ([]byte, error) {
	max := im.maxFile()
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes (the import's file limit, --max-file-bytes): split the export", file, max)
	}
	return data, nil
}

// toUTF8 decodes data from Options.Encoding, or checks it is UTF-8: Latin-1
// bytes read as UTF-8 became replacement characters in names. The error
// names the line of the first byte that is not UTF-8.
func (im *Import) toUTF8(data []byte) ([]byte, int, error) {
	name := strings.ToLower(im.opts.Encoding)
	if name != "" && name != "utf-8" && name != "utf8" {
		enc, ok := encodings[name]
		if !ok {
			return nil, 0, fmt.Errorf("unknown encoding %q: want %s", im.opts.Encoding, EncodingNames)
		}
		out, err := enc.NewDecoder().Bytes(data)
		return out, 0, err
	}
	if utf8.Valid(data) {
		return bytes.TrimPrefix(data, []byte("\ufeff")), 0, nil
	}
	for off := 0; off < len(data); {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size <= 1 {
			line := 1 + bytes.Count(data[:off], []byte("\n"))
			return nil, line, fmt.Errorf("not UTF-8 (byte 0x%02x): export as UTF-8, or pass --encoding with one of %s", data[off], EncodingNames)
		}
		off += size
	}
	return data, 0, nil
}
