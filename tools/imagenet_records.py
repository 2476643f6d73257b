#!/usr/bin/env python3
"""Convert downsampled ImageNet (Chrabaszcz, Loshchilov and Hutter 2017) to train's records.

Usage: imagenet_records.py SRC_DIR OUT_DIR

SRC_DIR holds the files of one resolution as image-net.org publishes them, unzipped:
train_data_batch_1 .. train_data_batch_10 and val_data, either as Python pickles
(Imagenet32_train.zip, Imagenet32_val.zip, and the 64x64 ones) or as .npz files (the
*_npz.zip downloads). Each holds 'data', one row of S*S*3 bytes per image in planes
(S*S red, then green, then blue), and 'labels', 1..1000.

OUT_DIR receives train.bin and val.bin: per image a 2-byte little-endian label (0..999)
then S*S*3 bytes in channels-last (row, column, RGB) order, which is what
`train --dataset imagenet32` (or imagenet64) reads, and tp_load_records and
tp_open_records in the library. Files are written to NAME.tmp and renamed when whole.

Python's standard library only: the numpy arrays inside the pickles are read without numpy.
One batch is held in memory at a time (about 400 MB at 32x32, 1.6 GB at 64x64).
"""
import ast
import codecs
import os
import pickle
import struct
import sys
import zipfile


class ConvertError(Exception):
    pass


class _Array:
    """What a pickled numpy array becomes: its shape, item type and raw bytes."""

    def __init__(self, *args):
        self.shape, self.dtype, self.raw, self.fortran = None, None, b"", False

    def __setstate__(self, state):
        # ndarray.__reduce__'s state: (version, shape, dtype, is_fortran, raw data)
        if not isinstance(state, tuple) or len(state) < 5:
            raise ConvertError("a pickled array with an unknown state layout")
        _, self.shape, self.dtype, self.fortran, raw = state[:5]
        self.raw = raw.encode("latin1") if isinstance(raw, str) else bytes(raw)


class _DType:
    """What a pickled numpy dtype becomes: its code ('u1', 'i8', ...) and byte order."""

    def __init__(self, code, *args):
        self.code, self.order = code if isinstance(code, str) else code.decode(), "|"

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) > 1:
            order = state[1]
            self.order = order if isinstance(order, str) else order.decode()


def _frombuffer(buf, dtype, shape, order):
    """numpy's protocol-5 reduction of an array (numpy.core.numeric._frombuffer)."""
    a = _Array()
    a.__setstate__((1, shape, dtype, order == "F", bytes(buf)))
    return a


class _Unpickler(pickle.Unpickler):
    """Reads the pickles numpy writes, mapping its classes to the stand-ins above; any other
    global is refused, so a file cannot run code."""

    def find_class(self, module, name):
        if module.startswith("numpy") and name == "_reconstruct":
            return _Array
        if module.startswith("numpy") and name == "ndarray":
            return _Array
        if module.startswith("numpy") and name == "_frombuffer":
            return _frombuffer
        if module == "_codecs" and name == "encode":   # how Python 3 writes bytes at protocol 2
            return codecs.encode
        if module.startswith("numpy") and name == "dtype":
            return _DType
        raise ConvertError(f"the pickle names {module}.{name}, which is not part of a numpy array")


def _items(dtype_code, order, raw):
    """The integers of raw, an array of dtype_code ('u1', 'i8', '<i8', ...)."""
    code = dtype_code.lstrip("<>|=")
    big = dtype_code.startswith(">") or order == ">"
    fmt = {"u1": "B", "i1": "b", "u2": "H", "i2": "h", "u4": "I", "i4": "i", "u8": "Q", "i8": "q"}.get(code)
    if fmt is None:
        raise ConvertError(f"labels of type {dtype_code}, expected integers")
    size = struct.calcsize(fmt)
    if len(raw) % size:
        raise ConvertError(f"{len(raw)} bytes of {dtype_code} items")
    return list(struct.unpack(("> " if big else "<") + fmt * (len(raw) // size), raw))


def _npy(blob, what):
    """(shape, dtype code, raw bytes) of a .npy file's contents."""
    if blob[:6] != b"\x93NUMPY":
        raise ConvertError(f"{what}: not a .npy array")
    major = blob[6]
    hlen_size = 2 if major == 1 else 4
    hlen = int.from_bytes(blob[8:8 + hlen_size], "little")
    header = ast.literal_eval(blob[8 + hlen_size:8 + hlen_size + hlen].decode("latin1"))
    if header.get("fortran_order"):
        raise ConvertError(f"{what}: a Fortran-order array")
    return tuple(header["shape"]), header["descr"], blob[8 + hlen_size + hlen:]


def read_batch(path):
    """(data bytes, number of images, bytes per image, labels 1..1000) of one file."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == b"PK":  # .npz: a zip of .npy files
        with zipfile.ZipFile(path) as z:
            names = {n[:-4] if n.endswith(".npy") else n: n for n in z.namelist()}
            if "data" not in names or "labels" not in names:
                raise ConvertError(f"{path}: an .npz without 'data' and 'labels' (it has {sorted(names)})")
            shape, descr, data = _npy(z.read(names["data"]), f"{path}: data")
            lshape, ldescr, lraw = _npy(z.read(names["labels"]), f"{path}: labels")
            if descr.lstrip("<>|=") != "u1":
                raise ConvertError(f"{path}: data of type {descr}, expected bytes (u1)")
            labels = _items(ldescr, "<", lraw)
    else:
        with open(path, "rb") as f:
            try:
                entry = _Unpickler(f, encoding="latin1").load()
            except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
                raise ConvertError(f"{path}: not a readable pickle ({e})")
        if not isinstance(entry, dict) or "data" not in entry or "labels" not in entry:
            raise ConvertError(f"{path}: expected a dict with 'data' and 'labels'")
        arr, labels = entry["data"], entry["labels"]
        if not isinstance(arr, _Array) or arr.dtype is None or arr.dtype.code.lstrip("<>|=") != "u1":
            raise ConvertError(f"{path}: 'data' is not an array of bytes")
        if arr.fortran:
            raise ConvertError(f"{path}: 'data' is in Fortran order")
        shape, data = tuple(arr.shape), arr.raw
        if isinstance(labels, _Array):
            labels = _items(labels.dtype.code, labels.dtype.order, labels.raw)
        labels = [int(v) for v in labels]
    if len(shape) != 2 or shape[0] * shape[1] != len(data):
        raise ConvertError(f"{path}: data of shape {shape} in {len(data)} bytes, expected (images, pixels)")
    n, width = shape
    if len(labels) != n:
        raise ConvertError(f"{path}: {n} images but {len(labels)} labels")
    bad = [v for v in labels if not 1 <= v <= 1000]
    if bad:
        raise ConvertError(f"{path}: label {bad[0]}, expected 1..1000")
    return data, n, width, labels


def convert(paths, out_path, side=None):
    """Writes the records of every file in paths to out_path; returns (images, side)."""
    tmp = out_path + ".tmp"
    total = 0
    try:
        with open(tmp, "wb") as out:
            for path in paths:
                data, n, width, labels = read_batch(path)
                s = int(round((width // 3) ** 0.5))
                if width % 3 or s * s * 3 != width:
                    raise ConvertError(f"{path}: {width} bytes an image, expected S*S*3")
                if side is not None and s != side:
                    raise ConvertError(f"{path}: {s}x{s} images where the other files hold {side}x{side}")
                side, plane = s, s * s
                buf = bytearray(n * (2 + width))
                for i in range(n):
                    img = data[i * width:(i + 1) * width]
                    at = i * (2 + width)
                    buf[at:at + 2] = (labels[i] - 1).to_bytes(2, "little")
                    for c in range(3):  # planes to channels-last
                        buf[at + 2 + c:at + 2 + width:3] = img[c * plane:(c + 1) * plane]
                out.write(buf)
                total += n
                print(f"{path}: {n} images of {s}x{s}", file=sys.stderr)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return total, side


def find(src, stem):
    """The file named stem or stem.npz in src, or None."""
    for name in (stem, stem + ".npz"):
        p = os.path.join(src, name)
        if os.path.isfile(p):
            return p
    return None


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stdout if len(argv) == 2 else sys.stderr)
        return 0 if len(argv) == 2 else 2
    src, dst = argv[1], argv[2]
    train = [find(src, f"train_data_batch_{k}") for k in range(1, 11)]
    val = find(src, "val_data")
    missing = [f"train_data_batch_{k + 1}" for k, p in enumerate(train) if p is None] + ([] if val else ["val_data"])
    if missing:
        print(f"imagenet_records.py: {src} lacks {', '.join(missing)} (as files or .npz); unzip the "
              "Imagenet32 or Imagenet64 train and val downloads there", file=sys.stderr)
        return 1
    os.makedirs(dst, exist_ok=True)
    try:
        n, side = convert(train, os.path.join(dst, "train.bin"))
        m, _ = convert([val], os.path.join(dst, "val.bin"), side)
    except (ConvertError, OSError) as e:
        print(f"imagenet_records.py: {e}", file=sys.stderr)
        return 1
    print(f"{dst}/train.bin: {n} images, {dst}/val.bin: {m} images, {side}x{side}x3; "
          f"train with: ./build/train --dataset imagenet{side} --data {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
