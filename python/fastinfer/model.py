"""Model: a loaded ONNX model, optimized once, compiled per input-shape signature, run on
fastinfer's native kernels or, when asked or needed, on onnxruntime."""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import onnx

from . import _core
from .compile.lower import CompiledPlan, lower, placeholder, unsupported_ops
from .compile.poly_lower import DEFAULT_CACHE_SIZE, PolyCompiled, lower_poly
from .compile.shape_engine import analyze
from .compile.specialize import specialize
from .compile.symbolic import NotStatic
from .errors import (
    NATIVE_EXCEPTIONS,
    InputError,
    InputTypeError,
    UnsupportedOpError,
    native_errors,
    translate_native,
)
from .ir import Graph
from .ir.onnx_io import from_onnx, to_onnx
from .reader.loader import ModelSource, read_model
from .runtime.devices import resolve_device
from .runtime.threads import ThreadPool
from .summary import graph_summary

log = logging.getLogger("fastinfer")

OPTIMIZED_KEY = "fastinfer.optimized"
# Linear weights at least this large keep only their packed copy once a plan has packed
# them (the fp32 copy is rebuilt from it for save, export and Model.graph).
RELEASE_WEIGHTS_OVER = 1 << 20
# Shape classes kept per model. A class serves every shape its guards admit (typically all
# sizes but 1 of a dim, whose broadcasting differs), so a handful covers real traffic.
MAX_SHAPE_CLASSES = 8
_model_ids = itertools.count()
Inputs = Union[np.ndarray, Mapping[str, np.ndarray], Sequence[np.ndarray]]


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output: name, numpy dtype and shape (ints, or names for dynamic
    dims such as "batch")."""

    name: str
    dtype: np.dtype
    shape: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"{self.name}: {np.dtype(self.dtype).name}[{', '.join(map(str, self.shape))}]"


class Model:
    """A loaded model. Create it with :func:`fastinfer.load`."""

    def __init__(
        self,
        original: onnx.ModelProto,
        graph: Graph,
        *,
        backend: str,
        device: str,
        num_threads: int | None,
        pass_counts: dict[str, int],
        source: str,
        plan_cache_size: int = DEFAULT_CACHE_SIZE,
        pool: ThreadPool | None = None,
    ) -> None:
        if isinstance(plan_cache_size, bool) or not isinstance(plan_cache_size, int):
            raise TypeError(f"plan_cache_size must be an int, got {plan_cache_size!r}")
        if plan_cache_size < 1:
            raise ValueError(f"plan_cache_size must be >= 1, got {plan_cache_size}")
        self._original = original
        self._graph = graph
        self._requested_backend = backend
        self._pass_counts = pass_counts
        self._source = source
        self._num_threads = num_threads
        # The model's own threads (num_threads=), else the process default pool
        # (set_num_threads): loading another model never changes this one's threads.
        self._pool = pool or (None if num_threads is None else ThreadPool(num_threads))
        self._plan_cache_size = plan_cache_size
        # Shape classes (most recently used first), each a PolyPlan that binds new sizes in
        # C++; `_poly_error` says why the model cannot use them (then per-shape plans).
        self._classes: list[PolyCompiled] = []
        self._poly_error: str | None = None
        self._arenas = _core.ArenaPool()
        self._packed: dict[str, Any] = {}  # FusedLinear weight id -> packed copy (model-owned)
        self._plans: OrderedDict[tuple, CompiledPlan] = OrderedDict()  # fallback, LRU
        self._weight_prefix = f"model{next(_model_ids)}"
        self._released: dict[str, str] = {}  # constant name -> packed weights id
        self._lock = threading.Lock()
        self._ort = None
        self._segments: list | None = None
        self.placement: dict[str, str] = {}  # node name -> "native" | "onnxruntime"
        self.device = resolve_device(device)
        self.backend, self.backend_reason = self._choose_backend(backend)
        if self.backend == "partitioned":
            self._partition()
        else:
            self.placement = {n.name: self.backend for n in self._graph.nodes}
        log.info(
            "fastinfer: %s runs on %s (%s): %s",
            source,
            self.backend,
            self.device,
            self.backend_reason,
        )
        if self.backend == "onnxruntime":
            self._ort = self._ort_session()
        # The native backend needs only the optimized graph: let the original proto (and
        # its copy of the weights) go.
        self._original = None

    # -- backend choice --------------------------------------------------------------------
    def _choose_backend(self, backend: str) -> tuple[str, str]:
        if backend not in ("auto", "native", "onnxruntime"):
            raise ValueError(f"backend must be 'auto', 'native' or 'onnxruntime', got {backend!r}")
        missing = unsupported_ops(self._graph)
        if backend == "onnxruntime":
            return "onnxruntime", "backend='onnxruntime' was requested"
        if self.device == "cuda":
            if backend == "native":
                raise UnsupportedOpError(
                    "the native backend runs on the CPU only; use backend='onnxruntime' or "
                    "'auto' for device='cuda'",
                    ops=[],
                )
            return "onnxruntime", "device is cuda: onnxruntime's CUDA execution provider"
        if backend == "native":
            if missing:
                from .compile.lower import check_supported

                check_supported(self._graph)
            return "native", "backend='native' was requested and covers every op"
        if missing:
            nodes = sum(len(v) for v in missing.values())
            return "partitioned", (
                f"{nodes} node(s) run on onnxruntime (the native backend lacks "
                + ", ".join(sorted(missing))
                + "); every other node runs natively"
            )
        return "native", "the native backend covers every op of the optimized graph"

    def _partition(self) -> None:
        """Cuts the graph into native and onnxruntime segments (partition.py)."""
        import onnxruntime as ort

        from .partition import ORT, build_segments

        opts = ort.SessionOptions()
        if self._num_threads:
            opts.intra_op_num_threads = self._num_threads

        def make_native(sub: Graph) -> Model:
            return Model(
                None,
                sub,
                backend="native",
                device="cpu",
                num_threads=self._num_threads,
                pass_counts={},
                source=f"{self._source} [{sub.name}]",
                plan_cache_size=self._plan_cache_size,
                pool=self._pool,  # segments run one after another: one pool for all
            )

        self._segments, self.placement = build_segments(self._graph, make_native, opts)
        on_ort = [n for n, p in self.placement.items() if p == ORT]
        log.info(
            "fastinfer: %s: %d segment(s); on onnxruntime: %s",
            self._source,
            len(self._segments),
            ", ".join(on_ort),
        )

    def _ort_session(self):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        if self._num_threads:
            opts.intra_op_num_threads = self._num_threads
        providers = (
            ["CUDAExecutionProvider", "CPUExecutionProvider"]
            if self.device == "cuda"
            else ["CPUExecutionProvider"]
        )
        if self._original is not None:
            proto = self._original
        else:
            # The optimized graph expanded back to standard ONNX: the auto fallback and
            # saved models, whose original proto is not kept.
            from .passes.unfuse import unfuse

            proto = to_onnx(unfuse(self._graph.copy()), with_value_info=False)
        return ort.InferenceSession(proto.SerializeToString(), opts, providers=providers)

    # -- metadata --------------------------------------------------------------------------
    @property
    def inputs(self) -> list[TensorInfo]:
        return list(self._input_infos)

    @property
    def _input_infos(self) -> tuple[TensorInfo, ...]:
        # Computed once: run() reads it on every call.
        infos = self.__dict__.get("_input_infos_cache")
        if infos is None:
            infos = tuple(
                TensorInfo(v.name, v.dtype, tuple(v.shape or ())) for v in self._graph.inputs
            )
            self.__dict__["_input_infos_cache"] = infos
        return infos

    @property
    def outputs(self) -> list[TensorInfo]:
        out = []
        for v in self._graph.outputs:
            known = self._graph.value(v.name)
            out.append(TensorInfo(v.name, known.dtype, tuple(known.shape or ())))
        return out

    @property
    def graph(self) -> Graph:
        """The optimized graph (a copy: editing it does not change the model)."""
        return self._materialized()

    def __repr__(self) -> str:
        ins = ", ".join(map(repr, self.inputs))
        outs = ", ".join(map(repr, self.outputs))
        return (
            f"<fastinfer.Model {self._source}: ({ins}) -> ({outs}); backend={self.backend}, "
            f"device={self.device}, {len(self._graph.nodes)} nodes>"
        )

    # -- inputs ----------------------------------------------------------------------------
    def _feeds(self, inputs: Inputs) -> dict[str, np.ndarray]:
        infos = self._input_infos
        if isinstance(inputs, Mapping):
            feeds = dict(inputs)
        elif isinstance(inputs, np.ndarray):
            if len(infos) != 1:
                raise InputError(
                    f"the model has {len(infos)} inputs ({', '.join(i.name for i in infos)}); "
                    "pass a dict of arrays"
                )
            feeds = {infos[0].name: inputs}
        elif isinstance(inputs, (list, tuple)):
            if len(inputs) != len(infos):
                raise InputError(f"the model has {len(infos)} inputs, got {len(inputs)} arrays")
            feeds = {i.name: a for i, a in zip(infos, inputs)}
        else:
            raise InputTypeError(
                f"inputs must be a numpy array, a list of arrays or a dict, got "
                f"{type(inputs).__name__}"
            )
        names = {i.name for i in infos}
        extra = sorted(set(feeds) - names)
        if extra:
            raise InputError(f"unexpected input(s) {extra}; the model's inputs are {sorted(names)}")
        symbols: dict[str, tuple[str, int]] = {}
        for info in infos:
            if info.name not in feeds:
                raise InputError(f"missing input '{info.name}' ({info!r})")
            arr = feeds[info.name]
            if not isinstance(arr, np.ndarray):
                raise InputTypeError(
                    f"input '{info.name}' must be a numpy.ndarray, got {type(arr).__name__}"
                )
            if arr.dtype != info.dtype:
                raise InputTypeError(
                    f"input '{info.name}' must have dtype {np.dtype(info.dtype).name}, "
                    f"got {arr.dtype.name}"
                )
            if info.shape and arr.ndim != len(info.shape):
                raise InputError(
                    f"input '{info.name}' must have rank {len(info.shape)} ({info!r}), "
                    f"got shape {arr.shape}"
                )
            for axis, (want, got) in enumerate(zip(info.shape, arr.shape)):
                if isinstance(want, int) and want != got:
                    raise InputError(
                        f"input '{info.name}' dim {axis} must be {want} ({info!r}), "
                        f"got shape {arr.shape}"
                    )
                if isinstance(want, str) and want:
                    seen = symbols.setdefault(want, (info.name, got))
                    if seen[1] != got:
                        raise InputError(
                            f"dim '{want}' is {seen[1]} in input '{seen[0]}' but {got} in "
                            f"input '{info.name}'"
                        )
            if not arr.flags.c_contiguous:
                feeds[info.name] = np.asarray(arr, order="C")
        return feeds

    # -- compile and run -------------------------------------------------------------------
    def _plan_for(self, feeds: Mapping[str, np.ndarray]) -> CompiledPlan:
        """The per-shape plan (the fallback when shape classes do not apply), from a
        bounded LRU."""
        key = tuple(feeds[i.name].shape for i in self._input_infos)
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                return plan
            shapes = {k: v.shape for k, v in feeds.items()}
            static = specialize(self._graph, shapes)
            plan = lower(
                static, self._weight_prefix, frozenset(self._released), self._release_weight
            )
            self._plans[key] = plan
            while len(self._plans) > self._plan_cache_size:
                self._plans.popitem(last=False)
        return plan

    def _compile_class(self, feeds: Mapping[str, np.ndarray]) -> PolyCompiled | None:
        """Compiles the shape class of `feeds` (None, with _poly_error set, when the graph
        needs per-shape plans)."""
        with self._lock:
            for cls in self._classes:  # another thread may have compiled it meanwhile
                if cls.plan.bind([feeds[n] for n in cls.input_names]):
                    return cls
            if self._poly_error is not None:
                return None
            self._prepack_weights()
            try:
                analysis = analyze(self._graph, {k: v.shape for k, v in feeds.items()})
                cls = lower_poly(
                    self._graph,
                    analysis,
                    self._arenas,
                    self._plan_cache_size,
                    self._weight_prefix,
                    frozenset(self._released),
                )
            except NotStatic as exc:
                self._poly_error = str(exc)
                log.info("fastinfer: %s compiles a plan per input shape: %s", self._source, exc)
                return None
            self._classes.insert(0, cls)
            del self._classes[MAX_SHAPE_CLASSES:]
            return cls

    def _prepack_weights(self) -> None:
        """Packs every constant FusedLinear weight once for the model's lifetime; large
        ones then keep only the packed copy (found by id by every plan)."""
        for node in self._graph.nodes:
            if node.op_type != "FusedLinear" or len(node.inputs) < 2:
                continue
            name = node.inputs[1]
            weight_id = f"{self._weight_prefix}/{name}"
            if name not in self._graph.constants or weight_id in self._packed:
                continue
            array = self._graph.constants[name]
            if name in self._released:
                continue
            if array.dtype != np.float32 or array.ndim != 2 or 0 in array.shape:
                continue
            self._packed[weight_id] = _core._pack_shared_weights(
                weight_id, np.ascontiguousarray(array)
            )
            self._release_weight(name)

    def _run_native(self, feeds: Mapping[str, np.ndarray], profile: bool = False):
        pool = None if self._pool is None else self._pool._pool
        for i, cls in enumerate(self._classes):
            result = cls.run(feeds, profile, pool)
            if result is not None:
                if i:
                    with self._lock:
                        if cls in self._classes:
                            self._classes.remove(cls)
                            self._classes.insert(0, cls)
                return result, cls.step_nodes
        cls = self._compile_class(feeds) if self._poly_error is None else None
        if cls is not None:
            result = cls.run(feeds, profile, pool)
            if result is None:  # pragma: no cover - a class always admits its own shapes
                raise RuntimeError("a shape class rejected the shapes it was compiled for")
            return result, cls.step_nodes
        plan = self._plan_for(feeds)
        return plan.run(feeds, profile, pool), plan.step_nodes

    def _release_weight(self, name: str) -> bool:
        """Called by lower() right after a FusedLinear kernel packed constant `name`: drops
        the model's fp32 copy when only FusedLinear weight slots read it, so the packed
        copy (found by id by every later plan) is the only one. _materialized() rebuilds
        the fp32 array for save, export and Model.graph."""
        array = self._graph.constants.get(name)
        if array is None or name in self._released or array.nbytes < RELEASE_WEIGHTS_OVER:
            return False
        if array.dtype != np.float32 or array.ndim != 2 or name in self._graph.output_names:
            return False
        readers = self._graph.consumers().get(name, [])
        if not readers or any(
            n.op_type != "FusedLinear" or n.inputs[1] != name or name in n.inputs[:1] + n.inputs[2:]
            for n in readers
        ):
            return False
        weight_id = f"{self._weight_prefix}/{name}"
        if not _core._shared_weights_alive(weight_id):
            return False
        self._graph.constants[name] = placeholder(array)
        self._released[name] = weight_id
        return True

    def _materialized(self) -> Graph:
        """A copy of the optimized graph with released weights rebuilt from their packed
        copies."""
        g = self._graph.copy()
        for name, weight_id in self._released.items():
            array = _core._unpack_shared_weights(weight_id)
            if array is None:  # pragma: no cover - plans hold the packed copies for life
                raise RuntimeError(f"packed weights {weight_id} are gone")
            g.constants[name] = array
        return g

    def run(self, inputs: Inputs) -> dict[str, np.ndarray]:
        """Runs the model.

        Parameters
        ----------
        inputs
            A dict name -> array, a single array (one-input models) or a list in input
            order. Dtypes must match exactly; dynamic dims may take any size (a plan is
            compiled and cached for each new combination of input shapes).

        Returns
        -------
        dict
            Output name -> numpy array. The native run is one C++ call without the GIL, so
            concurrent calls from threads run in parallel.
        """
        feeds = self._feeds(inputs)
        if self.backend == "onnxruntime":
            outs = self._ort.run(None, feeds)
            return dict(zip(self._graph.output_names, outs))
        if self._segments is not None:
            env = dict(feeds)
            for seg in self._segments:
                env.update(seg.run(env))
            return {name: env[name] for name in self._graph.output_names}
        try:
            return self._run_native(feeds)[0]
        except NATIVE_EXCEPTIONS as exc:
            translated = translate_native(exc)
            if translated is exc:
                raise
            raise translated from exc

    def __call__(self, *args: np.ndarray, **kwargs: np.ndarray):
        """``model(x)`` or ``model(a, b)`` or ``model(input_ids=...)``: the single output
        array when the model has one output, else the dict of :meth:`run`."""
        if args and kwargs:
            raise InputError("pass inputs either positionally or by name, not both")
        out = self.run(kwargs if kwargs else (args[0] if len(args) == 1 else list(args)))
        return next(iter(out.values())) if len(out) == 1 else out

    # -- reports ---------------------------------------------------------------------------
    def summary(self, input_shapes: Mapping[str, tuple[int, ...]] | None = None) -> str:
        """Ops by type, parameters, bytes, FLOPs (for `input_shapes`, when given), the
        passes applied and the memory of the compiled plans."""
        static = None
        if input_shapes:
            static = specialize(self._graph, {k: tuple(v) for k, v in input_shapes.items()})
        text = graph_summary(self._graph, static, self._pass_counts)
        text += f"\nbackend: {self.backend} on {self.device} ({self.backend_reason})"
        if self._segments is not None:
            for seg in self._segments:
                names = ", ".join(n.name for n in seg.nodes[:6])
                more = f", ... ({len(seg.nodes)} nodes)" if len(seg.nodes) > 6 else ""
                text += f"\n  {seg.placement}: {names}{more}"
        mem = self.memory()
        for i, cls in enumerate(mem["shape_classes"]):
            text += (
                f"\nshape class {i}: {cls['steps']} steps over {cls['symbols']} symbolic dims, "
                f"{cls['guards']} guards; {cls['cached']} shapes bound (hits {cls['hits']}, "
                f"misses {cls['misses']}, evicted {cls['evictions']}, "
                f"{cls['bind_seconds'] * 1e3:.1f} ms binding)"
            )
        for key, m in mem["per_shape_plans"].items():
            text += (
                f"\nplan for {key}: arena {m['arena_bytes'] / 2**20:.2f} MiB (lower bound "
                f"{m['arena_lower_bound_bytes'] / 2**20:.2f} MiB, without reuse "
                f"{m['intermediate_bytes_without_reuse'] / 2**20:.2f} MiB)"
            )
        text += (
            f"\nmemory: arenas {mem['arena_bytes'] / 2**20:.2f} MiB in {mem['arena_buffers']} "
            f"buffer(s) (peak {mem['arena_peak_bytes'] / 2**20:.2f} MiB), packed weights "
            f"{mem['packed_weight_bytes'] / 2**20:.2f} MiB, constants "
            f"{mem['constant_bytes'] / 2**20:.2f} MiB"
        )
        return text

    def memory(self) -> dict[str, Any]:
        """What the model holds: arena bytes (shared by all its plans: one buffer per
        concurrent run), packed weights, constants, and per shape class the plans cached
        for input shapes (with hits, misses, evictions); ``per_shape_plans`` lists the
        fallback plans of graphs that need one plan per shape."""
        classes = []
        for cls in list(self._classes):
            st = cls.plan.stats()
            classes.append(
                {
                    "steps": len(cls.step_nodes),
                    "symbols": cls.num_symbols,
                    "guards": cls.num_guards,
                    "capacity": cls.plan.capacity,
                    **st,
                }
            )
        per_shape = {str(k): p.memory() for k, p in list(self._plans.items())}
        constants = sum(
            a.nbytes for a in self._graph.constants.values() if 0 not in a.strides or a.size <= 1
        )
        return {
            "arena_bytes": self._arenas.bytes_held,
            "arena_peak_bytes": self._arenas.peak_bytes,
            "arena_buffers": self._arenas.buffers,
            "packed_weight_bytes": sum(p.nbytes for p in self._packed.values()),
            "constant_bytes": constants,
            "plans_cached": sum(c["cached"] for c in classes) + len(per_shape),
            "plan_cache_size": self._plan_cache_size,
            "shape_classes": classes,
            "per_shape_plans": per_shape,
        }

    def profile(
        self, inputs: Inputs, runs: int = 10, trace_path: str | None = None
    ) -> list[dict[str, Any]]:
        """Per-node time over `runs` native runs, slowest first; optionally writes a Chrome
        trace (chrome://tracing, Perfetto) of the last run to `trace_path`."""
        if self.backend != "native":
            raise UnsupportedOpError(
                f"profile() needs the native backend; this model runs on {self.backend}", ops=[]
            )  # partitioned models: profile each segment's ops with onnxruntime's profiler
        if runs < 1:
            raise ValueError(f"runs must be >= 1, got {runs}")
        feeds = self._feeds(inputs)
        totals: np.ndarray | None = None
        last: list[float] = []
        for _ in range(runs):
            with native_errors():
                (_, last), step_nodes = self._run_native(feeds, profile=True)
            totals = np.asarray(last) if totals is None else totals + np.asarray(last)
        rows = [
            {"node": name, "op": op, "mean_ms": t / runs * 1e3}
            for (op, name), t in zip(step_nodes, totals)
        ]
        if trace_path is not None:
            events, ts = [], 0.0
            for (op, name), sec in zip(step_nodes, last):
                events.append(
                    {
                        "name": name,
                        "cat": op,
                        "ph": "X",
                        "ts": ts,
                        "dur": sec * 1e6,
                        "pid": os.getpid(),
                        "tid": 0,
                        "args": {"op": op},
                    }
                )
                ts += sec * 1e6
            with open(trace_path, "w") as f:
                json.dump({"traceEvents": events, "displayTimeUnit": "ms"}, f)
        return sorted(rows, key=lambda r: -r["mean_ms"])

    # -- pickle: a model crosses to worker processes (multiprocessing, Ray) ----------------
    def __reduce__(self):
        """Pickles the model as its optimized ONNX bytes and load options (never a pickled
        graph); unpickling loads it again, without re-running the passes."""
        options = {
            "backend": self._requested_backend,
            "device": self.device,
            "num_threads": self._num_threads,
            "plan_cache_size": self._plan_cache_size,
        }
        return (_unpickle, (self._optimized_proto().SerializeToString(), options))

    def _optimized_proto(self) -> onnx.ModelProto:
        model = to_onnx(self._materialized())
        meta = model.metadata_props.add()
        meta.key, meta.value = OPTIMIZED_KEY, json.dumps(self._pass_counts)
        orig = model.metadata_props.add()
        orig.key, orig.value = "fastinfer.original_opset", str(self._graph.opset)
        return model

    # -- save ------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Writes the optimized model (ONNX with fastinfer's fused ops, domain
        ``ai.fastinfer``); :func:`fastinfer.load` reads it back without running the passes
        again. Use :meth:`export_onnx` for a file any ONNX runtime can run."""
        onnx.save(self._optimized_proto(), os.fspath(path))

    def export_onnx(self, path: str | os.PathLike) -> None:
        """Writes standard ONNX that onnxruntime runs: the optimized graph with fused ops
        expanded back into standard ones."""
        from .passes.unfuse import unfuse

        # No value_info: the passes changed producers, and onnxruntime re-infers shapes.
        model = to_onnx(unfuse(self._materialized()), with_value_info=False)
        onnx.checker.check_model(model)
        onnx.save(model, os.fspath(path))


def load(
    source: ModelSource,
    *,
    backend: str = "auto",
    device: str = "auto",
    num_threads: int | None = None,
    optimize: bool = True,
    plan_cache_size: int = DEFAULT_CACHE_SIZE,
) -> Model:
    """Loads an ONNX model (path, bytes or ``onnx.ModelProto``), optimizes it and prepares it
    to run.

    Parameters
    ----------
    backend : {"auto", "native", "onnxruntime"}
        "native" runs only on fastinfer kernels (UnsupportedOpError names every op it
        lacks); "onnxruntime" runs through onnxruntime; "auto" picks native when it covers
        the graph, else onnxruntime. ``Model.backend`` and ``Model.backend_reason`` say
        which and why (also logged at INFO).
    device : {"auto", "cpu", "cuda"}
        "cuda" uses onnxruntime's CUDA execution provider and raises DeviceError when it is
        unavailable; "auto" picks CUDA when available, else CPU.
    num_threads : int, optional
        The model's own intra-op threads (its own pool; at most the cores this process may
        use). Without it the model uses the process default (`set_num_threads`). Many
        Python threads calling one model take turns on its pool, so it never keeps more
        than `num_threads` cores busy.
    plan_cache_size : int
        Plans kept per shape class for recent input shapes (LRU). A plan for a new shape is
        built in C++ from the class's compiled recipe (about 0.1 ms for a BERT layer stack),
        so this bounds memory, not compile time.
    """
    start = time.perf_counter()
    # onnxruntime needs the whole original proto only when it was asked for by name; then
    # the weights cannot stay in the file.
    proto, path, lazy = read_model(source, lazy_weights=backend != "onnxruntime")
    what = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<in-memory model>"
    meta = {p.key: p.value for p in proto.metadata_props}
    if OPTIMIZED_KEY in meta:
        original = None
        graph = from_onnx(proto, lazy_path=path, lazy=lazy)
        counts = json.loads(meta[OPTIMIZED_KEY])
    else:
        # onnxruntime needs the original only when it was asked for by name; the auto
        # fallback runs the optimized graph expanded to standard ONNX.
        original = proto if backend == "onnxruntime" else None
        graph = from_onnx(proto, release_weights=original is None, lazy_path=path, lazy=lazy)
        del proto
        if optimize:
            from .passes import optimize as run_passes

            counts = run_passes(graph)
        else:
            counts = {}
    model = Model(
        original,
        graph,
        backend=backend,
        device=device,
        num_threads=num_threads,
        pass_counts=counts,
        source=what,
        plan_cache_size=plan_cache_size,
    )
    log.info("fastinfer: loaded %s in %.2f s", what, time.perf_counter() - start)
    return model


def _unpickle(data: bytes, options: dict[str, Any]) -> Model:
    return load(data, **options)
