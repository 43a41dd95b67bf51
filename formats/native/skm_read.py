#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""skm_read.py: a standalone reader of skconv's .skm files, written from SPEC.md alone.

Needs numpy and the standard library only. `python3 skm_read.py FILE`
prints a summary; `--json` prints the whole model as JSON. As a module,
`read(path)` returns a dict: version, ir_version, sections, inputs,
outputs, steps (attributes as Python numbers, strings and numpy arrays)
and meta. Every CRC, range and index is checked; damage raises SkmError
naming the section.
"""
import json
import mmap
import struct
import sys
import zlib

import numpy as np

MAGIC = b"\x89SKM\r\n\x1a\n"
NONE = 0xFFFFFFFF
KNOWN = ("STRS", "TDIR", "DATA", "GRPH", "META")
# SPEC.md §6: dtype code -> (name, numpy little-endian type; None for strings)
DTYPES = {
    1: ("float32", "<f4"), 2: ("float64", "<f8"), 3: ("int64", "<i8"),
    4: ("string", "<u4"), 5: ("int32", "<i4"), 6: ("uint8", "u1"),
    7: ("bool", "u1"), 8: ("uint32", "<u4"),
}
ATTR_KINDS = {1: "int", 2: "float", 3: "string", 4: "tensor"}


class SkmError(ValueError):
    """The file is not a valid .skm file; the message names where."""


def _fail(where, msg):
    raise SkmError(f"{where}: {msg}")


class _Cursor:
    """Little-endian reads over one section, bounds-checked."""

    def __init__(self, buf, where):
        self.buf, self.pos, self.where = buf, 0, where

    def take(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            _fail(self.where, f"needs {size} bytes at offset {self.pos}, "
                              f"has {len(self.buf) - self.pos}")
        vals = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return vals


def _header(buf):
    """SPEC.md §3: the checked header fields."""
    if len(buf) < 64:
        _fail("header", f"file is {len(buf)} bytes, shorter than the header")
    if bytes(buf[:8]) != MAGIC:
        _fail("header", "bad magic: not a .skm file")
    (major, minor, flags, hsize, count, toff, fsize, esize, tcrc, irv) = \
        struct.unpack_from("<HHIIIQQIII", buf, 8)
    if hsize < 64 or hsize > 4096 or hsize % 8 or hsize > len(buf):
        _fail("header", f"header_size {hsize} invalid")
    # header_crc is computed with its own four bytes taken as zero
    crc = zlib.crc32(buf[64:hsize], zlib.crc32(b"\0\0\0\0", zlib.crc32(buf[:60])))
    if crc != struct.unpack_from("<I", buf, 60)[0]:
        _fail("header", "CRC-32 mismatch")
    if major != 1:
        _fail("header", f"format version {major}.{minor} not supported")
    if flags & 0xFFFF:
        _fail("header", f"unknown must-understand flags {flags & 0xFFFF:#x}")
    if fsize != len(buf):
        _fail("header", f"file_size {fsize} but the file has {len(buf)} bytes")
    if not 1 <= count <= 65535 or esize < 32 or esize % 8:
        _fail("header", "bad section count or table entry size")
    tlen = count * esize
    if toff % 64 or toff < hsize or toff + tlen > len(buf):
        _fail("section table", "not a 64-aligned range after the header")
    if zlib.crc32(buf[toff:toff + tlen]) != tcrc:
        _fail("section table", "CRC-32 mismatch")
    return dict(major=major, minor=minor, flags=flags, header_size=hsize,
                count=count, table_offset=toff, entry_size=esize, ir_version=irv)


def _sections(buf, h):
    """SPEC.md §4, §2: entries, ranges, overlaps, padding, CRCs."""
    secs, by_kind = [], {}
    for i in range(h["count"]):
        e = h["table_offset"] + i * h["entry_size"]
        raw = bytes(buf[e:e + 4])
        flags, off, length, crc = struct.unpack_from("<IQQI", buf, e + 4)
        kind = raw.decode("ascii") if all(0x20 <= b < 0x7F for b in raw) \
            else f"0x{struct.unpack('<I', raw)[0]:08x}"
        where = f"section {kind} (table entry {i})"
        if off % 64 or off + length > len(buf):
            _fail(where, "not a 64-aligned range inside the file")
        if kind in KNOWN:
            if kind in by_kind:
                _fail(where, f"a second {kind} section")
            by_kind[kind] = i
        elif flags & 1:
            _fail(where, "unknown section kind marked required")
        if zlib.crc32(buf[off:off + length]) != crc:
            _fail(where, "CRC-32 mismatch")
        secs.append(dict(kind=kind, flags=flags, offset=off, length=length,
                         crc=crc, where=where))
    regions = [(0, h["header_size"], "header"),
               (h["table_offset"], h["table_offset"] + h["count"] * h["entry_size"],
                "section table")]
    regions += [(s["offset"], s["offset"] + s["length"], s["where"])
                for s in secs if s["length"]]
    regions.sort()
    end = 0
    for start, stop, where in regions + [(len(buf), len(buf), "end of file")]:
        if start < end:
            _fail(where, "overlaps the region before it")
        if any(buf[end:start]):
            _fail(where, "padding before it is not zero")
        end = stop
    for kind in ("STRS", "TDIR", "DATA", "GRPH"):
        if kind not in by_kind:
            _fail("section table", f"no {kind} section")
    return secs, by_kind


def _strings(b, where):
    """SPEC.md §5"""
    if len(b) < 16:
        _fail(where, "too short")
    count = struct.unpack_from("<I", b)[0]
    if 16 + 8 * count > len(b):
        _fail(where, f"count {count} does not fit")
    ends = np.frombuffer(b, "<u8", count + 1, 8)
    data = bytes(b[16 + 8 * count:])
    if ends[0] != 0 or np.any(np.diff(ends.astype(np.int64)) < 0) or ends[-1] != len(data):
        _fail(where, "string ends are not increasing to the end of the section")
    if b"\0" in data:
        _fail(where, "a string contains a zero byte")
    return [data[ends[i]:ends[i + 1]].decode("utf-8", "surrogateescape")
            for i in range(count)]


def _string(strs, idx, where, nonempty=False):
    if idx >= len(strs):
        _fail(where, f"string index {idx} out of range ({len(strs)} strings)")
    if nonempty and not strs[idx]:
        _fail(where, f"string {idx} is empty")
    return strs[idx]


def _tensors(b, data, strs, where, dwhere):
    """SPEC.md §6, §7: arrays over the file's bytes (copies for strings)."""
    if len(b) < 8:
        _fail(where, "too short")
    count, esize = struct.unpack_from("<II", b)
    if esize < 88 or esize % 8 or 8 + count * esize != len(b):
        _fail(where, "entries do not fill the section")
    out, prev_end = [], 0
    for i in range(count):
        dtype, ndim, off, length = struct.unpack_from("<IIQQ", b, 8 + i * esize)
        shape = struct.unpack_from("<8q", b, 8 + i * esize + 24)
        if dtype not in DTYPES:
            _fail(where, f"tensor {i}: unknown dtype {dtype}")
        if ndim > 8 or any(d < 0 for d in shape[:ndim]) or any(shape[ndim:]):
            _fail(where, f"tensor {i}: bad ndim or shape")
        name, npt = DTYPES[dtype]
        n = int(np.prod(shape[:ndim], dtype=np.uint64)) if ndim else 1
        if length != n * np.dtype(npt).itemsize:
            _fail(where, f"tensor {i}: data_length {length} does not match its shape")
        if off % 64 or off + length > len(data) or off < prev_end:
            _fail(where, f"tensor {i}: data not a 64-aligned, increasing range inside DATA")
        prev_end = off + length
        arr = np.frombuffer(data, npt, n, off).reshape(shape[:ndim])
        if name == "string":
            if np.any(arr >= len(strs)):
                _fail(dwhere, f"tensor {i}: string index out of range")
            arr = np.array([strs[j] for j in arr.ravel()], dtype=object).reshape(arr.shape)
        elif name == "bool":
            if np.any(arr > 1):
                _fail(dwhere, f"tensor {i}: bool byte not 0 or 1")
            arr = arr.view(np.bool_)
        out.append(arr)
    return out


def _graph(b, strs, tens, where):
    """SPEC.md §8"""
    c = _Cursor(b, where)
    n_in, n_out, n_steps, _ = c.take("<4I")

    def port(kind, i):
        name, dtype, ndim, cols = c.take("<4I")
        if ndim > 8:
            _fail(where, f"{kind} {i}: ndim {ndim}")
        shape = list(c.take(f"<{ndim}q"))
        if dtype != 0 and dtype not in DTYPES:
            _fail(where, f"{kind} {i}: unknown dtype {dtype}")
        p = dict(name=_string(strs, name, f"{where}: {kind} {i}", True),
                 dtype=DTYPES[dtype][0] if dtype else "none", shape=shape, columns=None)
        if cols != NONE:
            if kind == "output" or cols >= len(tens) or tens[cols].dtype != object \
                    or tens[cols].ndim != 1:
                _fail(where, f"{kind} {i}: bad columns tensor {cols}")
            p["columns"] = list(tens[cols])
        return p

    inputs = [port("input", i) for i in range(n_in)]
    outputs = [port("output", i) for i in range(n_out)]
    steps = []
    for s in range(n_steps):
        op, ni, no, na = c.take("<4I")
        names = c.take(f"<{ni + no}I")
        if (ni + no) % 2:
            c.take("<I")
        step = dict(op=_string(strs, op, f"{where}: step {s}", True),
                    inputs=[_string(strs, x, f"{where}: step {s}", True) for x in names[:ni]],
                    outputs=[_string(strs, x, f"{where}: step {s}", True) for x in names[ni:]],
                    attrs={}, kinds={})
        for a in range(na):
            key, kind = c.take("<II")
            raw = c.take("<Q")[0]
            key = _string(strs, key, f"{where}: step {s} attribute {a}", True)
            if key in step["attrs"]:
                _fail(where, f"step {s}: attribute '{key}' given twice")
            if kind == 1:
                val = struct.unpack("<q", struct.pack("<Q", raw))[0]
            elif kind == 2:
                val = struct.unpack("<d", struct.pack("<Q", raw))[0]
            elif kind == 3:
                val = _string(strs, raw, f"{where}: step {s} attribute '{key}'")
            elif kind == 4:
                if raw >= len(tens):
                    _fail(where, f"step {s} attribute '{key}': tensor {raw} out of range")
                val = tens[raw]
            else:
                _fail(where, f"step {s} attribute '{key}': unknown kind {kind}")
            step["attrs"][key] = val
            step["kinds"][key] = ATTR_KINDS[kind]
        steps.append(step)
    if c.pos != len(b):
        _fail(where, f"{len(b) - c.pos} bytes after the last step")
    return inputs, outputs, steps


def _meta(b, strs, where):
    """SPEC.md §9"""
    if len(b) < 8:
        _fail(where, "too short")
    count = struct.unpack_from("<I", b)[0]
    if 8 + 8 * count != len(b):
        _fail(where, "pairs do not fill the section")
    meta = {}
    for i in range(count):
        k, v = struct.unpack_from("<II", b, 8 + 8 * i)
        key = _string(strs, k, f"{where}: pair {i}", True)
        if key in meta:
            _fail(where, f"pair {i}: key '{key}' given twice")
        meta[key] = _string(strs, v, f"{where}: pair {i}")
    return meta


def parse(buf):
    """The model in @buf (bytes, bytearray, memoryview or mmap) as a dict."""
    buf = memoryview(buf)
    h = _header(buf)
    secs, by_kind = _sections(buf, h)

    def sec(kind):
        s = secs[by_kind[kind]]
        return buf[s["offset"]:s["offset"] + s["length"]], s["where"]

    strs = _strings(*sec("STRS"))
    data, dwhere = sec("DATA")
    tdir, twhere = sec("TDIR")
    tens = _tensors(tdir, data, strs, twhere, dwhere)
    grph, gwhere = sec("GRPH")
    inputs, outputs, steps = _graph(grph, strs, tens, gwhere)
    meta = {}
    if "META" in by_kind:
        mb, mwhere = sec("META")
        meta = _meta(mb, strs, mwhere)
    return dict(version=(h["major"], h["minor"]), ir_version=h["ir_version"],
                sections=[{k: v for k, v in s.items() if k != "where"} for s in secs],
                inputs=inputs, outputs=outputs, steps=steps, meta=meta)


def read(path):
    """Read the file at @path (mapped: numeric arrays are views of it)."""
    with open(path, "rb") as f:
        try:
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:          # an empty file cannot be mapped
            buf = f.read()
    return parse(buf)


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return dict(dtype=str(v.dtype), shape=list(v.shape), values=v.tolist())
    if isinstance(v, float) and v != v:
        return "nan"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return str(v)
    return v


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print("usage: skm_read.py [--json] FILE", file=sys.stderr)
        return 2
    as_json = argv[1] == "--json"
    path = argv[2] if as_json else argv[1]
    try:
        m = read(path)
    except (SkmError, OSError) as e:
        print(f"{path}: {e}", file=sys.stderr)
        return 1
    if as_json:
        for s in m["steps"]:
            s["attrs"] = {k: _jsonable(v) for k, v in s["attrs"].items()}
        print(json.dumps(m, default=_jsonable))
        return 0
    print(f"{path}: skm {m['version'][0]}.{m['version'][1]}, IR {m['ir_version']}, "
          f"{len(m['sections'])} sections, all CRCs ok")
    for p in m["inputs"]:
        cols = f", {len(p['columns'])} named columns" if p["columns"] else ""
        print(f"  input  {p['name']}: {p['dtype']} {p['shape']}{cols}")
    for p in m["outputs"]:
        print(f"  output {p['name']}: {p['dtype']} {p['shape']}")
    for i, s in enumerate(m["steps"]):
        print(f"  step {i}: {s['op']}({', '.join(s['inputs'])}) -> {', '.join(s['outputs'])}")
        for k, v in s["attrs"].items():
            if isinstance(v, np.ndarray):
                dt = "string" if v.dtype == object else v.dtype
                desc = f"{dt} {list(v.shape)}"
            else:
                desc = repr(v)
            print(f"    {k} = {desc}")
    for k, v in m["meta"].items():
        print(f"  meta {k} = {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
