"""Reading ONNX models safely: paths, bytes or protos; external data confined to the
model's folder; opset and structure checks; shape inference that keeps dynamic dims."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import onnx
from onnx import external_data_helper

from ..errors import InvalidModelError
from .onnx_file import LazyInitializer, read_split

MIN_OPSET = 13
ModelSource = Union[str, os.PathLike, bytes, bytearray, memoryview, onnx.ModelProto]


def _describe(source: object) -> str:
    if isinstance(source, (str, os.PathLike)):
        return f"'{os.fspath(source)}'"
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{len(source)} bytes>"
    return "<ModelProto>"


def _parse(data: bytes, what: str) -> onnx.ModelProto:
    model = onnx.ModelProto()
    try:
        model.ParseFromString(bytes(data))
    except Exception as exc:  # protobuf raises DecodeError, RuntimeWarning-like errors, ...
        raise InvalidModelError(f"{what} is not a valid ONNX model (cannot parse: {exc})") from None
    if not model.HasField("graph") or len(model.opset_import) == 0:
        raise InvalidModelError(f"{what} is not an ONNX model (no graph or no opset_import)")
    return model


def _check_external_data(model: onnx.ModelProto, base_dir: Path | None, what: str) -> None:
    """Refuses external data whose location would leave the model's folder."""
    tensors = [
        t
        for t in external_data_helper._get_all_tensors(model)
        if external_data_helper.uses_external_data(t)
    ]
    if not tensors:
        return
    if base_dir is None:
        raise InvalidModelError(
            f"{what} references external data but was given as bytes or a proto; load it from "
            "its file path so the data files can be found next to it"
        )
    root = base_dir.resolve()
    for t in tensors:
        info = {e.key: e.value for e in t.external_data}
        location = info.get("location", "")
        if not location or os.path.isabs(location) or ".." in Path(location).parts:
            raise InvalidModelError(
                f"{what}: tensor '{t.name}' has external data location '{location}' outside the "
                "model's folder (absolute paths and '..' are refused)"
            )
        target = base_dir / location
        resolved = target.resolve()
        if root not in resolved.parents and resolved != root:
            raise InvalidModelError(
                f"{what}: tensor '{t.name}' external data '{location}' resolves outside the "
                f"model's folder (through a link) to '{resolved}'"
            )
        if not resolved.is_file():
            raise InvalidModelError(
                f"{what}: external data file '{location}' for tensor '{t.name}' is missing"
            )


@dataclass
class LazyTensor:
    """A large initializer left in the file (see onnx_file.py): its name, type, dims and
    where its TensorProto lies."""

    name: str
    data_type: int
    dims: list[int]
    where: LazyInitializer


def read_model(
    source: ModelSource, *, lazy_weights: bool = False
) -> tuple[onnx.ModelProto, str | None, list[LazyTensor]]:
    """Reads, validates and shape-infers an ONNX model.

    Raises
    ------
    InvalidModelError
        For a missing, corrupt, truncated or non-ONNX file; unsafe external data; an opset
        older than 13; or a graph that fails the ONNX checker.

    Returns
    -------
    (model, path, lazy)
        With ``lazy_weights`` and a path, the large initializers are not in `model`: `lazy`
        says where they are in the file at `path` (read them with
        :meth:`LazyInitializer.read`), so the weights are never held twice while loading.
    TypeError
        For a source that is none of path, bytes or ModelProto.
    """
    what = f"model {_describe(source)}"
    base_dir: Path | None = None
    lazy_at: list[LazyInitializer] = []
    if isinstance(source, onnx.ModelProto):
        model = onnx.ModelProto()
        model.CopyFrom(source)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        model = _parse(bytes(source), what)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(os.fspath(source))
        if not path.is_file():
            raise InvalidModelError(f"{what}: no such file")
        base_dir = path.parent
        if lazy_weights:
            try:
                model, lazy_at = read_split(str(path))
            except Exception as exc:
                raise InvalidModelError(
                    f"{what} is not a valid ONNX model (cannot parse: {exc})"
                ) from None
            if not model.HasField("graph") or len(model.opset_import) == 0:
                raise InvalidModelError(f"{what} is not an ONNX model (no graph or no opset)")
        else:
            model = _parse(path.read_bytes(), what)
    else:
        raise TypeError(
            f"source must be a path, bytes or onnx.ModelProto, got {type(source).__name__}"
        )

    _check_external_data(model, base_dir, what)
    if base_dir is not None:
        try:
            external_data_helper.load_external_data_for_model(model, str(base_dir))
        except Exception as exc:
            raise InvalidModelError(f"{what}: cannot load external data: {exc}") from None

    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is None:
        raise InvalidModelError(f"{what} does not import the default ONNX opset")
    if opset < MIN_OPSET:
        raise InvalidModelError(
            f"{what} uses opset {opset}, which is too old: fastinfer needs opset {MIN_OPSET} or "
            "later (convert it with onnx.version_converter.convert_version)"
        )
    # The checker and shape inference both copy the whole proto; run them on a skeleton
    # whose large initializers are typed inputs without data, so the weights are not copied
    # twice more while loading.
    lazy = _describe_lazy(lazy_at, str(source), what)
    skeleton = _skeleton(model, lazy)
    try:
        onnx.checker.check_model(skeleton, full_check=False)
    except Exception as exc:
        raise InvalidModelError(f"{what} fails the ONNX checker: {exc}") from None
    try:
        inferred = onnx.shape_inference.infer_shapes(skeleton, strict_mode=False, data_prop=True)
    except Exception as exc:
        raise InvalidModelError(f"{what}: shape inference failed: {exc}") from None
    del model.graph.value_info[:]
    model.graph.value_info.extend(inferred.graph.value_info)
    path_str = os.fspath(source) if lazy else None
    return model, path_str, lazy


def _describe_lazy(where: list[LazyInitializer], path: str, what: str) -> list[LazyTensor]:
    """Name, type and dims of each lazy initializer (each parsed alone, then dropped)."""
    out = []
    if not where:
        return out
    with open(path, "rb") as f:
        for w in where:
            if w.raw_offset >= 0:  # header already read at the wire level
                out.append(LazyTensor(w.name, w.data_type, list(w.dims), w))
                continue
            try:
                t = w.read(f)
            except Exception as exc:
                raise InvalidModelError(f"{what}: a corrupt initializer: {exc}") from None
            out.append(LazyTensor(t.name, t.data_type, list(t.dims), w))
            del t
    return out


SKELETON_DATA_LIMIT = 4096  # bytes; smaller initializers (shapes, axes, scalars) stay


def _tensor_nbytes(t: onnx.TensorProto) -> int:
    n = 1
    for d in t.dims:
        n *= d
    try:
        itemsize = onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
    except (KeyError, ValueError, TypeError):
        return 0  # unknown types stay in the skeleton; the checker judges them
    return n * itemsize


def _skeleton(model: onnx.ModelProto, lazy: list[LazyTensor] | None = None) -> onnx.ModelProto:
    """`model` without the data of large initializers (declared as typed inputs instead)."""
    sk = onnx.ModelProto()
    sk.ir_version = model.ir_version
    sk.opset_import.extend(model.opset_import)
    g, src = sk.graph, model.graph
    g.name = src.name
    g.node.extend(src.node)
    g.output.extend(src.output)
    g.value_info.extend(src.value_info)
    g.input.extend(src.input)
    declared = {i.name for i in src.input}
    for init in src.initializer:
        if _tensor_nbytes(init) <= SKELETON_DATA_LIMIT:
            g.initializer.append(init)
        elif init.name not in declared:
            g.input.append(
                onnx.helper.make_tensor_value_info(init.name, init.data_type, list(init.dims))
            )
    for t in lazy or []:
        if t.name not in declared:
            g.input.append(onnx.helper.make_tensor_value_info(t.name, t.data_type, t.dims))
    return sk
