"""Wire format between the grader (trusted) and the sandboxed worker (untrusted).

This module is used on BOTH sides of the boundary.  It must stay standalone
(stdlib + numpy + msgpack only): the worker loads it by file path because the
``autograder`` package is not visible inside the sandbox.

Frames
    4-byte big-endian length, then one msgpack document.  A reader refuses a
    frame longer than ``max_frame_bytes`` before allocating anything.

Values ("data")
    None, bool, int, float, complex, str, bytes, numpy arrays and scalars of a
    numeric/bool dtype (kinds b/i/u/f/c), and list/tuple/dict of these.
    msgpack natives carry the plain types; extension types carry the rest:

    ========  =================================================================
    ext code  payload
    ========  =================================================================
    1 NDARRAY  dtype.str (len-prefixed ascii), ndim byte, ndim x int64 dims,
               raw C-order bytes
    2 TUPLE    empty; a msgpack array whose FIRST element is this marker is a
               tuple (the marker is dropped)
    3 HANDLE   int64 handle id + utf-8 type name (display only): an object that
               stays in the worker
    4 COMPLEX  two little-endian float64
    5 NPSCALAR like NDARRAY with ndim 0; decodes to a numpy scalar
    6 BIGINT   decimal ascii of an int outside the 64-bit msgpack range
    ========  =================================================================

Decoding never unpickles and never evaluates anything: arrays are rebuilt with
``np.frombuffer(...).reshape(shape).copy()`` only for whitelisted dtype strings,
sizes are checked exactly, nesting depth is bounded, and anything unexpected
raises :class:`ProtocolViolation`.
"""
from __future__ import annotations

import os
import re
import struct

import msgpack
import numpy as np

EXT_NDARRAY = 1
EXT_TUPLE = 2
EXT_HANDLE = 3
EXT_COMPLEX = 4
EXT_NPSCALAR = 5
EXT_BIGINT = 6

HEADER = struct.Struct(">I")
DEFAULT_MAX_FRAME_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64
MAX_NDIM = 32
MAX_BIGINT_DECIMALS = 4000
MAX_TYPENAME = 200

_DTYPE_RE = re.compile(r"^[<>|=][biufc][0-9]{1,2}$")
_BIGINT_RE = re.compile(r"^-?[0-9]{1,%d}$" % MAX_BIGINT_DECIMALS)
_ALLOWED_KINDS = frozenset("biufc")
_I64 = struct.Struct("<q")
_COMPLEX = struct.Struct("<dd")
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_TUPLE_MARK_EXT = msgpack.ExtType(EXT_TUPLE, b"")


class ProtocolViolation(Exception):
    """Malformed, oversized or disallowed data on the wire."""


class NotData(Exception):
    """Raised by a ``to_handle`` callback that refuses to make a handle."""


class Handle:
    """A decoded handle: an object that lives in the worker."""

    __slots__ = ("id", "type_name")

    def __init__(self, id: int, type_name: str = "object"):
        self.id = id
        self.type_name = type_name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Handle({self.id}, {self.type_name!r})"


class _TupleMark:
    __slots__ = ()


_TUPLE_MARK = _TupleMark()


# --------------------------------------------------------------------------- arrays
def _array_payload(arr: np.ndarray) -> bytes:
    dt = arr.dtype.str.encode("ascii")
    head = bytes([len(dt)]) + dt + bytes([arr.ndim]) + b"".join(_I64.pack(int(n)) for n in arr.shape)
    return head + np.ascontiguousarray(arr).tobytes()


def _decode_array(data: bytes, scalar: bool):
    mv = memoryview(data)
    try:
        n = mv[0]
        dts = bytes(mv[1 : 1 + n]).decode("ascii")
        pos = 1 + n
        ndim = mv[pos]
        pos += 1
    except (IndexError, UnicodeDecodeError) as exc:
        raise ProtocolViolation("truncated array header") from exc
    if not _DTYPE_RE.match(dts):
        raise ProtocolViolation(f"array dtype {dts!r} is not an allowed numeric/bool dtype")
    dtype = np.dtype(dts)
    if dtype.kind not in _ALLOWED_KINDS or dtype.hasobject or dtype.fields is not None:
        raise ProtocolViolation(f"array dtype {dts!r} is not allowed")
    if ndim > MAX_NDIM or (scalar and ndim != 0):
        raise ProtocolViolation(f"array with {ndim} dimensions is not allowed")
    if len(mv) < pos + 8 * ndim:
        raise ProtocolViolation("truncated array shape")
    shape = []
    count = 1
    for _ in range(ndim):
        (d,) = _I64.unpack_from(mv, pos)
        pos += 8
        if d < 0:
            raise ProtocolViolation("negative array dimension")
        shape.append(d)
        count *= d
    raw = mv[pos:]
    if count * dtype.itemsize != len(raw):
        raise ProtocolViolation(
            f"array of shape {tuple(shape)} and dtype {dts} needs {count * dtype.itemsize} bytes, got {len(raw)}"
        )
    arr = np.frombuffer(raw, dtype=dtype, count=count).reshape(shape).copy()
    return arr[()] if scalar else arr


# --------------------------------------------------------------------------- encoding
_PLAIN_KEY_TYPES = (str, int, float, bool, bytes, type(None))


def to_wire(obj, to_handle=None, max_depth: int = DEFAULT_MAX_DEPTH, _depth: int = 0):
    """Convert ``obj`` into msgpack-native values (plus ExtType for extras).

    ``to_handle(obj) -> (id, type_name)`` is called for anything that is not
    data; it may raise :class:`NotData` (or TypeError) to refuse.  Without it a
    non-data value raises TypeError.
    """
    t = type(obj)
    if obj is None or t is bool or t is str or t is bytes or t is float:
        return obj
    if t is int:
        if _INT_MIN <= obj <= _INT_MAX:
            return obj
        return msgpack.ExtType(EXT_BIGINT, str(obj).encode("ascii"))
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in _ALLOWED_KINDS and obj.dtype.fields is None and not obj.dtype.hasobject:
            return msgpack.ExtType(EXT_NDARRAY, _array_payload(np.asarray(obj)))
        return _handle(obj, to_handle)
    if isinstance(obj, np.generic):
        if obj.dtype.kind in _ALLOWED_KINDS and obj.dtype.fields is None:
            return msgpack.ExtType(EXT_NPSCALAR, _array_payload(np.asarray(obj)))
        return _handle(obj, to_handle)
    if _depth >= max_depth:
        return _handle(obj, to_handle)
    if isinstance(obj, (list, tuple)):
        items = [to_wire(x, to_handle, max_depth, _depth + 1) for x in obj]
        if isinstance(obj, tuple):
            items.insert(0, _TUPLE_MARK_EXT)
        return items
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if type(k) not in _PLAIN_KEY_TYPES:
                return _handle(obj, to_handle)
            out[k] = to_wire(v, to_handle, max_depth, _depth + 1)
        return out
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        return to_wire(int(obj), to_handle, max_depth, _depth)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, bytes):
        return bytes(obj)
    if isinstance(obj, complex):
        return msgpack.ExtType(EXT_COMPLEX, _COMPLEX.pack(obj.real, obj.imag))
    return _handle(obj, to_handle)


def _handle(obj, to_handle):
    if to_handle is None:
        raise TypeError(f"a {type(obj).__name__} object cannot cross the sandbox boundary as data")
    hid, tname = to_handle(obj)
    name = str(tname).encode("utf-8", "replace")[:MAX_TYPENAME]
    return msgpack.ExtType(EXT_HANDLE, _I64.pack(hid) + name)


def pack(obj, to_handle=None, max_depth: int = DEFAULT_MAX_DEPTH) -> bytes:
    """Encode ``obj`` into one msgpack document (without the frame header)."""
    return msgpack.packb(to_wire(obj, to_handle, max_depth), use_bin_type=True)


# --------------------------------------------------------------------------- decoding
def _ext_hook(code: int, data: bytes):
    if code == EXT_NDARRAY:
        return _decode_array(data, scalar=False)
    if code == EXT_NPSCALAR:
        return _decode_array(data, scalar=True)
    if code == EXT_TUPLE:
        if data:
            raise ProtocolViolation("bad tuple marker")
        return _TUPLE_MARK
    if code == EXT_HANDLE:
        if len(data) < 8:
            raise ProtocolViolation("truncated handle")
        (hid,) = _I64.unpack_from(data, 0)
        return Handle(hid, bytes(data[8 : 8 + MAX_TYPENAME]).decode("utf-8", "replace"))
    if code == EXT_COMPLEX:
        if len(data) != _COMPLEX.size:
            raise ProtocolViolation("bad complex payload")
        re_, im = _COMPLEX.unpack(data)
        return complex(re_, im)
    if code == EXT_BIGINT:
        try:
            s = bytes(data).decode("ascii")
        except UnicodeDecodeError as exc:
            raise ProtocolViolation("bad integer payload") from exc
        if not _BIGINT_RE.match(s):
            raise ProtocolViolation("bad integer payload")
        return int(s)
    raise ProtocolViolation(f"unknown extension type {code}")


def _finish(obj, from_handle, max_depth: int, depth: int):
    """Turn tuple-marked lists into tuples, handles into ``from_handle(h)``; bound depth."""
    if depth > max_depth:
        raise ProtocolViolation(f"data nested deeper than {max_depth} levels")
    t = type(obj)
    if t is list:
        if obj and obj[0] is _TUPLE_MARK:
            return tuple(_finish(x, from_handle, max_depth, depth + 1) for x in obj[1:])
        return [_finish(x, from_handle, max_depth, depth + 1) for x in obj]
    if t is dict:
        out = {}
        for k, v in obj.items():
            if type(k) not in _PLAIN_KEY_TYPES:
                raise ProtocolViolation(f"dict key of type {type(k).__name__} is not allowed")
            out[k] = _finish(v, from_handle, max_depth, depth + 1)
        return out
    if t is Handle:
        return from_handle(obj) if from_handle is not None else obj
    if t is _TupleMark:
        raise ProtocolViolation("stray tuple marker")
    return obj


def unpack(data, from_handle=None, max_depth: int = DEFAULT_MAX_DEPTH):
    """Decode one msgpack document produced by :func:`pack` (strictly)."""
    try:
        obj = msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False, use_list=True)
    except ProtocolViolation:
        raise
    except Exception as exc:  # msgpack errors, unhashable keys, bad utf-8, stack depth ...
        raise ProtocolViolation(f"undecodable frame: {type(exc).__name__}: {exc}") from None
    return _finish(obj, from_handle, max_depth, 0)


# --------------------------------------------------------------------------- framing (blocking; worker side)
def write_frame(fd: int, payload: bytes) -> None:
    """Blocking write of one frame to a file descriptor."""
    view = memoryview(HEADER.pack(len(payload)) + payload) if len(payload) < 65536 else None
    if view is None:
        _write_all(fd, memoryview(HEADER.pack(len(payload))))
        _write_all(fd, memoryview(payload))
    else:
        _write_all(fd, view)


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        view = view[n:]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        try:
            b = os.read(fd, min(n, 1 << 20))
        except InterruptedError:
            continue
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_frame(fd: int, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> bytes | None:
    """Blocking read of one frame; ``None`` on a clean end of file."""
    head = _read_exact(fd, HEADER.size)
    if head is None:
        return None
    (n,) = HEADER.unpack(head)
    if n > max_frame_bytes:
        raise ProtocolViolation(f"frame of {n} bytes exceeds the limit of {max_frame_bytes}")
    body = _read_exact(fd, n)
    if body is None:
        raise ProtocolViolation("truncated frame")
    return body


__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_FRAME_BYTES",
    "HEADER",
    "Handle",
    "NotData",
    "ProtocolViolation",
    "pack",
    "read_frame",
    "to_wire",
    "unpack",
    "write_frame",
]
