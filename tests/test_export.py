"""SavedModel export serves the inference path: no augmentation, no random op in the serving graph."""

import re

import numpy as np
import pytest
import tensorflow as tf
from frontends import N_SAMPLES, classifier, compile_model, dataset, frontend, waveforms

pytestmark = pytest.mark.tensorflow_only("SavedModel export of kapre frontends")

RANDOM_OP = re.compile(r"Random|RngBitGenerator|RngReadAndSkip|StatefulUniform|StatelessRandom")


def graph_op_types(concrete_function):
    """Op types of a concrete function's graph, nested functions included."""
    graph_def = concrete_function.graph.as_graph_def()
    types = {node.op for node in graph_def.node}
    for function in graph_def.library.function:
        types |= {node.op for node in function.node_def}
    return types


def test_export_serves_the_inference_path(tmp_path):
    model = compile_model(classifier(frontend(seed=6)))
    model.fit(dataset(n=16, batch=8), epochs=1, verbose=0)
    x = waveforms(3, seed=9)
    path = str(tmp_path / "saved_model")
    model.export(path, verbose=False)
    loaded = tf.saved_model.load(path)
    np.testing.assert_array_equal(np.asarray(loaded.serve(tf.constant(x))), model.predict(x, verbose=0))
    serving_ops = graph_op_types(loaded.signatures["serving_default"])
    assert "Conv2D" in serving_ops and "RFFT" in serving_ops
    assert not {op for op in serving_ops if RANDOM_OP.search(op)}
    # The check can fail: the training-mode graph of the same model does draw random numbers.
    training = tf.function(lambda w: model(w, training=True)).get_concrete_function(
        tf.TensorSpec((None, N_SAMPLES, 1), tf.float32)
    )
    assert {op for op in graph_op_types(training) if RANDOM_OP.search(op)}
