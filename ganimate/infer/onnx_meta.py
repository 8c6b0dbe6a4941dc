"""An ONNX file's metadata_props and first input shape, read straight from its protobuf encoding.

`import onnx` costs 0.3-3 s (it loads ml_dtypes and the protobuf runtime), more than the rest of start-up
together, only to read a few strings. The top level of an ONNX ModelProto is a handful of fields; the
graph is one length-delimited field that is skipped, except for the first input's shape.
Field numbers from onnx/onnx.proto: ModelProto ir_version 1, graph 7, metadata_props 14;
StringStringEntryProto key 1, value 2; GraphProto input 11; ValueInfoProto type 2; TypeProto
tensor_type 1; Tensor shape 2; TensorShapeProto dim 1; Dimension dim_value 1, dim_param 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


class NotOnnx(ValueError):
    """The bytes are not an ONNX model."""


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if i >= len(buf) or shift > 63:
            raise NotOnnx("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes, start: int, end: int) -> Iterator[tuple[int, int, int | tuple[int, int]]]:
    """(field number, wire type, varint value or (start, end) of the payload) of a message's fields."""
    i = start
    while i < end:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise NotOnnx("field number 0")
        if wire == 0:
            value, i = _varint(buf, i)
            yield field, wire, value
        elif wire == 2:
            n, i = _varint(buf, i)
            if i + n > end:
                raise NotOnnx("length past the end")
            yield field, wire, (i, i + n)
            i += n
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
            if i > end:
                raise NotOnnx("fixed field past the end")
        else:
            raise NotOnnx(f"wire type {wire}")


def _sub(buf: bytes, span: tuple[int, int], field: int) -> Iterator[tuple[int, int]]:
    """Payload spans of a length-delimited field inside the message at span."""
    for f, wire, value in _fields(buf, *span):
        if f == field and wire == 2:
            yield value  # type: ignore[misc]


def _first_input_dims(buf: bytes, graph: tuple[int, int]) -> tuple[int | str, ...]:
    for value_info in _sub(buf, graph, 11):
        dims: list[int | str] = []
        for typ in _sub(buf, value_info, 2):
            for tensor in _sub(buf, typ, 1):
                for shape in _sub(buf, tensor, 2):
                    for dim in _sub(buf, shape, 1):
                        d: int | str = "?"
                        for f, wire, value in _fields(buf, *dim):
                            if f == 1 and wire == 0:
                                d = int(value)  # type: ignore[arg-type]
                            elif f == 2 and wire == 2:
                                d = buf[value[0]:value[1]].decode("utf-8", "replace")  # type: ignore[index]
                        dims.append(d)
        return tuple(dims)
    return ()


def read_onnx_header(path: Path) -> tuple[dict[str, str], tuple[int | str, ...]]:
    """(metadata_props as a dict, the first graph input's dims: int sizes or str symbolic names).

    Raises NotOnnx when the file is not an ONNX model (no ir_version or no graph, or bad encoding).
    """
    buf = Path(path).read_bytes()
    meta: dict[str, str] = {}
    graph = None
    has_version = False
    for field, wire, value in _fields(buf, 0, len(buf)):
        if field == 1 and wire == 0:
            has_version = True
        elif field == 7 and wire == 2:
            graph = value
        elif field == 14 and wire == 2:
            entry = {f: buf[v[0]:v[1]].decode("utf-8") for f, w, v in _fields(buf, *value) if w == 2}  # type: ignore[index, misc]
            meta[entry.get(1, "")] = entry.get(2, "")
    if not has_version or graph is None:
        raise NotOnnx("no ir_version or no graph")
    return meta, _first_input_dims(buf, graph)  # type: ignore[arg-type]
