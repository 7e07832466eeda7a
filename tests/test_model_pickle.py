"""A Model pickles as its optimized ONNX and options, and crosses to worker processes."""

from __future__ import annotations

import multiprocessing as mp
import pickle

import numpy as np

import fastinfer
from models import bert_inputs, bert_onnx


def test_pickle_round_trip_gives_the_same_results():
    model = fastinfer.load(bert_onnx(), backend="native", plan_cache_size=8)
    feeds = bert_inputs(2, 12)
    want = model(**feeds)
    data = pickle.dumps(model)
    assert b"fastinfer.optimized" in data  # the optimized ONNX, not a pickled graph
    again = pickle.loads(data)
    assert again.backend == "native" and again._plan_cache_size == 8
    np.testing.assert_array_equal(again(**feeds), want)


def _worker_run(model, feeds):
    return model(**feeds)


def test_model_runs_in_a_multiprocessing_worker():
    model = fastinfer.load(bert_onnx(), backend="native")
    feeds = bert_inputs(3, 9)
    want = model(**feeds)
    with mp.get_context("spawn").Pool(1) as pool:
        got = pool.apply(_worker_run, (model, feeds))
    np.testing.assert_array_equal(got, want)
