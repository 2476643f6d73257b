#!/usr/bin/env python3
"""Write a records file of random images, to try the data path at a real set's size.

Usage: synthetic_records.py OUT N SIDE [CLASSES]

N records of SIDE x SIDE x 3 random bytes, each after a 2-byte little-endian label
(record i has label i % CLASSES, default 1000): the format of tools/imagenet_records.py.
`synthetic_records.py data/fake32/train.bin 1281167 32` makes a file the size of
ImageNet 32x32's training split (3.94 GB). Standard library only.
"""
import os
import sys


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out, n, side = argv[1], int(argv[2]), int(argv[3])
    classes = int(argv[4]) if len(argv) == 5 else 1000
    if n < 1 or side < 1 or not 1 <= classes <= 65536:
        print("synthetic_records.py: N and SIDE must be positive and CLASSES 1..65536", file=sys.stderr)
        return 2
    pix = side * side * 3
    chunk = max(1, (64 << 20) // (pix + 2))
    with open(out + ".tmp", "wb") as f:
        for first in range(0, n, chunk):
            k = min(chunk, n - first)
            noise = os.urandom(k * pix)
            buf = bytearray(k * (pix + 2))
            for i in range(k):
                at = i * (pix + 2)
                buf[at:at + 2] = ((first + i) % classes).to_bytes(2, "little")
                buf[at + 2:at + 2 + pix] = noise[i * pix:(i + 1) * pix]
            f.write(buf)
    os.replace(out + ".tmp", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
