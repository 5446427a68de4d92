"""The wire codec: data round-trips exactly; anything else is refused (never unpickled)."""
from __future__ import annotations

import struct

import msgpack
import numpy as np
import pytest

from autograder.sandbox import protocol
from autograder.sandbox.protocol import ProtocolViolation


def roundtrip(obj):
    return protocol.unpack(protocol.pack(obj))


def test_data_roundtrip_keeps_types_and_values():
    obj = {
        "none": None, "b": True, "i": -3, "big": 2**80, "f": 0.25, "c": 1 - 2j, "s": "é", "bytes": b"\x00\x01",
        "arr": np.arange(12, dtype=np.float32).reshape(3, 4), "bool": np.array([True, False]),
        "u8": np.arange(3, dtype=np.uint8), "c128": np.array([1j]), "empty": np.zeros((0, 3)),
        "scalar": np.float64(1.5), "i32": np.int32(-7), "npbool": np.bool_(False),
        "tuple": (1, (2, [3, (4,)])), "list": [1, 2], 7: "int key", "nested": {"x": [np.ones(2)]},
    }
    back = roundtrip(obj)
    assert back.keys() == obj.keys()
    assert type(back["tuple"]) is tuple and back["tuple"] == (1, (2, [3, (4,)]))
    assert back["big"] == 2**80 and back["c"] == 1 - 2j and back["bytes"] == b"\x00\x01"
    for k in ("arr", "bool", "u8", "c128", "empty"):
        assert back[k].dtype == obj[k].dtype and back[k].shape == obj[k].shape
        np.testing.assert_array_equal(back[k], obj[k])
        assert back[k].flags.writeable and back[k].flags.c_contiguous
    assert type(back["scalar"]) is np.float64 and type(back["i32"]) is np.int32 and type(back["npbool"]) is np.bool_


def test_non_contiguous_and_big_endian_arrays():
    a = np.arange(20.0).reshape(4, 5)[:, ::2]
    np.testing.assert_array_equal(roundtrip(a), a)
    b = np.arange(4, dtype=">i4")
    assert roundtrip(b).dtype == np.dtype(">i4")


def test_non_data_needs_a_handle():
    with pytest.raises(TypeError):
        protocol.pack(object())
    with pytest.raises(TypeError):
        protocol.pack(np.array([object()], dtype=object))
    data = protocol.pack([object()], to_handle=lambda o: (42, "object"))
    (h,) = protocol.unpack(data)
    assert isinstance(h, protocol.Handle) and h.id == 42


def _ext_frame(code, payload):
    return msgpack.packb({"result": msgpack.ExtType(code, payload)}, use_bin_type=True)


def _array_payload(dtype: bytes, shape, raw: bytes):
    return bytes([len(dtype)]) + dtype + bytes([len(shape)]) + b"".join(struct.pack("<q", n) for n in shape) + raw


@pytest.mark.parametrize("dtype", [b"|O8", b"|O", b"|V8", b"<M8", b"<U1", b"(2,)f8", b"f8,i4", b"<f8\x00"])
def test_disallowed_dtypes_are_rejected(dtype):
    with pytest.raises(ProtocolViolation):
        protocol.unpack(_ext_frame(protocol.EXT_NDARRAY, _array_payload(dtype, (1,), b"\x00" * 8)))


def test_size_mismatch_and_bad_payloads_are_rejected():
    bad = [
        _ext_frame(protocol.EXT_NDARRAY, _array_payload(b"<f8", (10**12, 10**12), b"\x00" * 8)),
        _ext_frame(protocol.EXT_NDARRAY, _array_payload(b"<f8", (2,), b"\x00" * 8)),
        _ext_frame(protocol.EXT_NDARRAY, b"\x03<f"),
        _ext_frame(protocol.EXT_NPSCALAR, _array_payload(b"<f8", (1,), b"\x00" * 8)),
        _ext_frame(99, b"cos\nsystem\n(S'echo pwned'\ntR."),  # unknown ext: a pickle is never looked at
        _ext_frame(protocol.EXT_BIGINT, b"__import__('os')"),
        _ext_frame(protocol.EXT_TUPLE, b"x"),
        b"\xc1",  # never-used msgpack byte
        msgpack.packb({(1, 2): 3}, use_bin_type=True),  # list as a dict key
    ]
    for frame in bad:
        with pytest.raises(ProtocolViolation):
            protocol.unpack(frame)


def test_depth_is_bounded():
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(ProtocolViolation):
        protocol.unpack(msgpack.packb(deep), max_depth=64)
    with pytest.raises(ProtocolViolation):
        protocol.unpack(b"\x91" * 100000 + b"\xc0")


def test_frame_size_is_checked_before_reading(tmp_path):
    import os
    r, w = os.pipe()
    os.write(w, struct.pack(">I", 2**31))
    with pytest.raises(ProtocolViolation):
        protocol.read_frame(r, max_frame_bytes=1024)
    protocol.write_frame(w, b"hello")
    os.close(w)
    assert protocol.read_frame(r) == b"hello"
    assert protocol.read_frame(r) is None
    os.close(r)
