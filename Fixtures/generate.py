#!/usr/bin/env python3
"""Generates the project's own fixtures: small single-op (and a few small whole) TFLite models,
with inputs and the outputs of LiteRT's *reference* kernels (OpResolverType.BUILTIN_REF).

Writes Fixtures/models/<name>.tflite, Fixtures/golden/<name>.input<k>.bin / .output<k>.bin (raw
little-endian bytes) and Fixtures/manifest.json. Deterministic (seeded). Run from the
repository root:  python3 Fixtures/generate.py   (needs tensorflow and ai-edge-litert from PyPI)

Kinds: float (float32 throughout), uint8 (legacy asymmetric UINT8 activations and weights, from
a TF1 graph with fake-quant nodes and the TF1 converter's `inference_type = tf.uint8`), int8 (full-integer with a representative dataset, int8
inputs and outputs, per-channel weights), int8_float_io (the same with float inputs and
outputs, so QUANTIZE and DEQUANTIZE run), float16 (float16 weights behind DEQUANTIZE), hybrid
(dynamic-range quantization: DEFAULT optimisation without a representative dataset, so float
inputs and outputs with INT8 weights; the converter only quantizes weights of 1024 elements or
more), and a dynamic-batch float model run at batch 1 and at a resized batch 3.
"""
import json, os, shutil, zlib

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf
import ai_edge_litert
from ai_edge_litert.interpreter import Interpreter, OpResolverType

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS, GOLDEN = os.path.join(HERE, "models"), os.path.join(HERE, "golden")
SEED = 1128


def const(shape, seed, scale=0.5):
    # A NumPy array: traced into the graph as a constant, which the converter folds.
    return np.random.RandomState(seed).uniform(-scale, scale, shape).astype(np.float32)


def bind(fn, *constants):
    """fn with its trailing arguments fixed: the constants become part of the traced graph."""
    return lambda *inputs: fn(*inputs, *constants)


# name -> (input shapes, function of the inputs)
def cases():
    c = {}
    for padding in ("SAME", "VALID"):
        for stride in (1, 2):
            w, b = const([3, 3, 3, 8], 1), const([8], 2, 0.1)
            c[f"conv2d_{padding.lower()}_s{stride}"] = ([[1, 9, 9, 3]], bind(lambda x, w, b, s, p: tf.nn.relu6(tf.nn.conv2d(x, w, s, p) + b), w, b, stride, padding))
    w = const([3, 3, 4, 6], 3)
    c["conv2d_dilation2"] = ([[1, 10, 10, 4]], bind(lambda x, w: tf.nn.relu(tf.nn.conv2d(x, w, 1, "SAME", dilations=2)), w))
    w, b = const([1, 1, 16, 24], 4), const([24], 5, 0.1)
    c["conv2d_1x1"] = ([[1, 7, 7, 16]], bind(lambda x, w, b: tf.nn.conv2d(x, w, 1, "VALID") + b, w, b))
    w = const([3, 3, 8, 1], 6)
    c["depthwise_s1"] = ([[1, 8, 8, 8]], bind(lambda x, w: tf.nn.relu6(tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")), w))
    c["depthwise_s2_valid"] = ([[1, 9, 9, 8]], bind(lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "VALID"), w))
    w2 = const([3, 3, 4, 2], 7)
    c["depthwise_multiplier2"] = ([[1, 6, 6, 4]], bind(lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"), w2))
    c["depthwise_dilation2"] = ([[1, 10, 10, 8]], bind(lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME", dilations=[2, 2]), w))
    w, b = const([32, 10], 8), const([10], 9, 0.1)
    c["fully_connected"] = ([[2, 32]], bind(lambda x, w, b: tf.nn.relu(tf.matmul(x, w) + b), w, b))
    c["add_same_shape"] = ([[1, 4, 4, 8], [1, 4, 4, 8]], lambda a, b: a + b)
    c["add_broadcast_relu"] = ([[1, 4, 4, 8], [1, 1, 1, 8]], lambda a, b: tf.nn.relu(a + b))
    c["sub_broadcast"] = ([[1, 4, 4, 8], [1, 1, 1, 8]], lambda a, b: a - b)
    c["mul_broadcast"] = ([[1, 5, 5, 6], [1, 1, 1, 6]], lambda a, b: a * b)
    c["mul_same_shape"] = ([[1, 3, 3, 5], [1, 3, 3, 5]], lambda a, b: a * b)
    c["hard_swish"] = ([[1, 6, 6, 8]], lambda x: x * tf.nn.relu6(x + 3.0) / 6.0)
    c["mean_hw_keepdims"] = ([[1, 7, 7, 16]], lambda x: tf.reduce_mean(x, axis=[1, 2], keepdims=True))
    c["mean_hw"] = ([[1, 5, 5, 12]], lambda x: tf.reduce_mean(x, axis=[1, 2]))
    c["mean_last_axis"] = ([[1, 4, 6, 10]], lambda x: tf.reduce_mean(x, axis=[3], keepdims=True))
    c["avgpool_2x2_s2"] = ([[1, 8, 8, 6]], lambda x: tf.nn.avg_pool2d(x, 2, 2, "VALID"))
    c["avgpool_3x3_same"] = ([[1, 7, 7, 6]], lambda x: tf.nn.avg_pool2d(x, 3, 1, "SAME"))
    c["maxpool_2x2_s2"] = ([[1, 8, 8, 6]], lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"))
    c["maxpool_3x3_same"] = ([[1, 7, 7, 6]], lambda x: tf.nn.max_pool2d(x, 3, 1, "SAME"))
    c["softmax"] = ([[2, 10]], lambda x: tf.nn.softmax(x * 3.0))
    c["pad"] = ([[1, 5, 5, 4]], lambda x: tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]]))
    c["concatenation_channels"] = ([[1, 4, 4, 3], [1, 4, 4, 5]], lambda a, b: tf.concat([a, b], axis=3))
    c["transpose_nchw_to_nhwc"] = ([[1, 3, 5, 6]], lambda x: tf.transpose(x, [0, 2, 3, 1]) * 2.0)
    c["relu"] = ([[1, 4, 4, 8]], lambda x: tf.nn.relu(x * 2.0))
    c["relu6"] = ([[1, 4, 4, 8]], lambda x: tf.nn.relu6(x * 4.0))
    c["logistic"] = ([[1, 4, 4, 8]], lambda x: tf.sigmoid(x * 4.0))
    c["reshape_squeeze"] = ([[1, 1, 1, 12]], lambda x: tf.reshape(tf.squeeze(x, [1, 2]), [1, 3, 4]) * 2.0)
    c["strided_slice"] = ([[1, 8, 8, 4]], lambda x: x[:, 1:7:2, ::3, :] * 2.0)
    return c


# Converter flags for the hybrid cases. The default (MLIR) dynamic-range quantizer gives conv
# weights a scale per channel and FULLY_CONNECTED `asymmetric_quantize_inputs`;
# `_experimental_disable_per_channel_quantization_for_dense_layers` makes the FC weights
# per-tensor; the legacy quantizer with per-channel disabled gives per-tensor conv weights and
# symmetric FC input quantization.
PER_TENSOR_DENSE = {"_experimental_disable_per_channel_quantization_for_dense_layers": True}
LEGACY_PER_TENSOR = {"experimental_new_dynamic_range_quantizer": False, "_experimental_disable_per_channel": True}


# name -> (input shapes, function of the inputs, converter flags)
def hybrid_cases():
    c = {}
    w, b = const([3, 3, 16, 32], 31), const([32], 32, 0.1)
    c["hybrid_conv2d_same_s1"] = ([[1, 10, 10, 16]], bind(lambda x, w, b: tf.nn.relu(tf.nn.conv2d(x, w, 1, "SAME") + b), w, b), {})
    c["hybrid_conv2d_same_s2_batch2"] = ([[2, 9, 9, 16]], bind(lambda x, w, b: tf.nn.relu6(tf.nn.conv2d(x, w, 2, "SAME") + b), w, b), {})
    c["hybrid_conv2d_per_tensor"] = ([[2, 9, 9, 16]], bind(lambda x, w, b: tf.nn.conv2d(x, w, 2, "SAME") + b, w, b), LEGACY_PER_TENSOR)
    w1, b1 = const([1, 1, 64, 48], 33), const([48], 34, 0.1)
    c["hybrid_conv2d_1x1"] = ([[1, 6, 6, 64]], bind(lambda x, w, b: tf.nn.conv2d(x, w, 1, "VALID") + b, w1, b1), {})
    wd, bd = const([3, 3, 128, 1], 35), const([128], 36, 0.1)
    c["hybrid_depthwise_s1"] = ([[1, 8, 8, 128]], bind(lambda x, w, b: tf.nn.relu6(tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME") + b), wd, bd), {})
    c["hybrid_depthwise_s2_batch2"] = ([[2, 9, 9, 128]], bind(lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "VALID"), wd), {})
    wm = const([3, 3, 64, 2], 37)
    c["hybrid_depthwise_multiplier2"] = ([[1, 8, 8, 64]], bind(lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"), wm), {})
    wf, bf = const([64, 48], 38), const([48], 39, 0.1)
    fc = bind(lambda x, w, b: tf.nn.relu(tf.matmul(x, w) + b), wf, bf)
    c["hybrid_fully_connected"] = ([[2, 64]], fc, {})
    c["hybrid_fully_connected_per_tensor"] = ([[2, 64]], fc, PER_TENSOR_DENSE)
    c["hybrid_fully_connected_symmetric"] = ([[2, 64]], fc, LEGACY_PER_TENSOR)
    return c


def check_hybrid(name, model_bytes):
    """Fails unless the model really is dynamic-range: float input, and INT8 weights."""
    interpreter = Interpreter(model_content=model_bytes)
    types = {np.dtype(t["dtype"]).name for t in interpreter.get_tensor_details()}
    if "int8" not in types or interpreter.get_input_details()[0]["dtype"] != np.float32:
        raise SystemExit(f"{name}: the converter did not make a hybrid model (tensor types {sorted(types)})")


def uint8_cases():
    """name -> builder(fq) returning ([(input name, placeholder)], output): TF1 graphs whose every
    tensor passes a fake-quant node, so the TF1 converter makes them all-UINT8. Inputs are
    fake-quantized to [-1, 1] (quantized_input_stats mean 127.5, std 127.5)."""
    tf1 = tf.compat.v1
    c = {}

    def image(shape, name="x"):
        x = tf1.placeholder(tf.float32, shape, name=name)
        return (name, x), FQ(x, -1.0, 1.0)

    def weights(shape, seed, scale=0.5):
        return FQ(tf1.constant(const(shape, seed, scale)), -scale, scale)

    def conv(stride, padding, relu6):
        def build():
            inp, x = image([1, 9, 9, 3])
            y = tf1.nn.bias_add(tf1.nn.conv2d(x, weights([3, 3, 3, 8], 41), [1, stride, stride, 1], padding), tf1.constant(const([8], 42, 0.1)))
            return [inp], FQ(tf1.nn.relu6(y), 0.0, 6.0) if relu6 else FQ(y, -4.0, 4.0)
        return build
    c["conv2d_same_s1_relu6_uint8"] = conv(1, "SAME", True)
    c["conv2d_valid_s2_uint8"] = conv(2, "VALID", False)

    def conv1x1():
        inp, x = image([1, 7, 7, 16])
        y = tf1.nn.bias_add(tf1.nn.conv2d(x, weights([1, 1, 16, 24], 43), [1, 1, 1, 1], "VALID"), tf1.constant(const([24], 44, 0.1)))
        return [inp], FQ(y, -4.0, 4.0)
    c["conv2d_1x1_uint8"] = conv1x1

    def depthwise(multiplier, relu6):
        def build():
            inp, x = image([1, 8, 8, 8])
            y = tf1.nn.bias_add(tf1.nn.depthwise_conv2d(x, weights([3, 3, 8, multiplier], 45 + multiplier), [1, 1, 1, 1], "SAME"),
                                tf1.constant(const([8 * multiplier], 47, 0.1)))
            return [inp], FQ(tf1.nn.relu6(y), 0.0, 6.0) if relu6 else FQ(y, -3.0, 3.0)
        return build
    c["depthwise_s1_relu6_uint8"] = depthwise(1, True)
    c["depthwise_multiplier2_uint8"] = depthwise(2, False)

    def fully_connected():
        inp, x = image([2, 32])
        y = tf1.nn.bias_add(tf1.matmul(x, weights([32, 10], 48)), tf1.constant(const([10], 49, 0.1)))
        return [inp], FQ(tf1.nn.relu(y), 0.0, 6.0)
    c["fully_connected_relu_uint8"] = fully_connected

    def binary(op, shape_b, lo, hi):
        def build():
            a_in, a = image([1, 4, 4, 8], "a")
            b_in, b = image(shape_b, "b")
            return [a_in, b_in], FQ(op(a, b), lo, hi)
        return build
    c["add_same_shape_uint8"] = binary(tf1.add, [1, 4, 4, 8], -2.0, 2.0)
    c["add_broadcast_uint8"] = binary(tf1.add, [1, 1, 1, 8], -2.0, 2.0)
    c["mul_same_shape_uint8"] = binary(tf1.multiply, [1, 4, 4, 8], -1.0, 1.0)
    c["concatenation_uint8"] = lambda: (lambda a, b: ([a[0], b[0]], FQ(tf1.concat([a[1], b[1]], axis=3), -1.0, 1.0)))(
        image([1, 4, 4, 3], "a"), image([1, 4, 4, 5], "b"))

    def unary(shape, fn, lo, hi):
        def build():
            inp, x = image(shape)
            return [inp], FQ(fn(x), lo, hi)
        return build
    c["avgpool_2x2_s2_uint8"] = unary([1, 8, 8, 6], lambda x: tf1.nn.avg_pool2d(x, 2, 2, "VALID"), -1.0, 1.0)
    c["avgpool_3x3_same_uint8"] = unary([1, 7, 7, 6], lambda x: tf1.nn.avg_pool2d(x, 3, 1, "SAME"), -1.0, 1.0)
    c["maxpool_3x3_same_uint8"] = unary([1, 7, 7, 6], lambda x: tf1.nn.max_pool2d(x, 3, 1, "SAME"), -1.0, 1.0)
    # SOFTMAX and LOGISTIC outputs must be scaled 1/256 with zero point 0: range [0, 255/256].
    c["softmax_uint8"] = unary([2, 10], tf1.nn.softmax, 0.0, 255 / 256)
    c["logistic_uint8"] = unary([1, 4, 4, 8], tf1.sigmoid, 0.0, 255 / 256)
    c["reshape_uint8"] = unary([1, 2, 3, 4], lambda x: tf1.reshape(x, [1, 6, 4]), -1.0, 1.0)
    c["mean_hw_uint8"] = unary([1, 5, 5, 12], lambda x: tf1.reduce_mean(x, axis=[1, 2], keepdims=True), -1.0, 1.0)

    # More geometry and the cheaper ops.
    def conv_geometry(shape, filter_shape, strides, padding, dilations, seed, lo, hi):
        def build():
            inp, x = image(shape)
            y = tf1.nn.bias_add(tf1.nn.conv2d(x, weights(filter_shape, seed), strides, padding, dilations=dilations),
                                tf1.constant(const([filter_shape[3]], seed + 1, 0.1)))
            return [inp], FQ(y, lo, hi)
        return build
    c["conv2d_same_s2_uint8"] = conv_geometry([1, 9, 9, 3], [3, 3, 3, 8], [1, 2, 2, 1], "SAME", [1, 1, 1, 1], 51, -4.0, 4.0)
    c["conv2d_dilation2_uint8"] = conv_geometry([1, 10, 10, 4], [3, 3, 4, 6], [1, 1, 1, 1], "SAME", [1, 2, 2, 1], 53, -4.0, 4.0)

    def depthwise_s2_valid():
        inp, x = image([1, 9, 9, 8])
        y = tf1.nn.bias_add(tf1.nn.depthwise_conv2d(x, weights([3, 3, 8, 1], 55), [1, 2, 2, 1], "VALID"), tf1.constant(const([8], 56, 0.1)))
        return [inp], FQ(y, -3.0, 3.0)
    c["depthwise_s2_valid_uint8"] = depthwise_s2_valid

    def fully_connected_batch3():
        inp, x = image([3, 64])
        y = tf1.nn.bias_add(tf1.matmul(x, weights([64, 20], 57)), tf1.constant(const([20], 58, 0.1)))
        return [inp], FQ(y, -6.0, 6.0)
    c["fully_connected_batch3_uint8"] = fully_connected_batch3

    c["sub_broadcast_uint8"] = binary(tf1.subtract, [1, 1, 1, 8], -2.0, 2.0)
    c["mul_broadcast_uint8"] = binary(tf1.multiply, [1, 1, 1, 8], -1.0, 1.0)
    c["add_relu6_uint8"] = binary(lambda a, b: tf1.nn.relu6(a + b), [1, 4, 4, 8], 0.0, 6.0)
    # Output range wider than the inputs': CONCATENATION requantizes.
    c["concatenation_rescale_uint8"] = lambda: (lambda a, b: ([a[0], b[0]], FQ(tf1.concat([a[1], b[1]], axis=3), -2.0, 2.0)))(
        image([1, 4, 4, 3], "a"), image([1, 4, 4, 5], "b"))
    c["maxpool_2x2_s2_uint8"] = unary([1, 8, 8, 6], lambda x: tf1.nn.max_pool2d(x, 2, 2, "VALID"), -1.0, 1.0)
    c["mean_last_axis_uint8"] = unary([1, 4, 6, 10], lambda x: tf1.reduce_mean(x, axis=[3], keepdims=True), -0.5, 0.5)
    c["pad_uint8"] = unary([1, 5, 5, 4], lambda x: tf1.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]]), -1.0, 1.0)
    c["relu_uint8"] = unary([1, 4, 4, 8], tf1.nn.relu, 0.0, 1.0)
    c["relu6_uint8"] = unary([1, 4, 4, 8], tf1.nn.relu6, 0.0, 1.0)
    # The converter fuses the RELU6 into the MUL by a constant.
    c["mul_scalar_relu6_uint8"] = unary([1, 4, 4, 8], lambda x: tf1.nn.relu6(x * 4.0), 0.0, 6.0)
    c["leaky_relu_uint8"] = unary([1, 4, 4, 8], lambda x: tf1.nn.leaky_relu(x, 0.2), -0.2, 1.0)
    c["hard_swish_uint8"] = unary([1, 6, 6, 8], lambda x: x * tf1.nn.relu6(x + 3.0) / 6.0, -0.5, 1.0)
    c["transpose_uint8"] = unary([1, 3, 5, 6], lambda x: tf1.transpose(x, [0, 2, 3, 1]), -1.0, 1.0)
    c["strided_slice_uint8"] = unary([1, 8, 8, 4], lambda x: x[:, 1:7:2, ::3, :], -1.0, 1.0)
    return c


def FQ(t, lo, hi):
    return tf.compat.v1.quantization.fake_quant_with_min_max_args(t, min=lo, max=hi)


def convert_uint8(name, build):
    tf1 = tf.compat.v1
    with tf1.Graph().as_default() as graph:
        inputs, output = build()
        output = tf1.identity(output, name="y")
        with tf1.Session(graph=graph) as session:
            converter = tf1.lite.TFLiteConverter.from_session(session, [t for _, t in inputs], [output])
            converter.inference_type = tf.uint8
            converter.quantized_input_stats = {n: (127.5, 127.5) for n, _ in inputs}
            model = converter.convert()
    check = Interpreter(model_content=model)
    types = {np.dtype(d["dtype"]).name for d in check.get_tensor_details() if d["dtype"] != np.int32}
    if types != {"uint8"}:
        raise SystemExit(f"{name}: expected only UINT8 tensors (besides INT32 bias/shape), got {sorted(types)}")
    return model


def mobilenet_v3_style():
    inputs = tf.keras.Input(shape=(32, 32, 3), batch_size=1, name="image")
    x = tf.keras.layers.Conv2D(16, 3, strides=2, padding="same")(inputs)
    x = tf.keras.layers.Activation("hard_swish")(x)
    skip = x
    x = tf.keras.layers.DepthwiseConv2D(3, padding="same")(x)
    x = tf.keras.layers.ReLU()(x)
    se = tf.keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
    se = tf.keras.layers.Conv2D(8, 1, activation="relu")(se)
    se = tf.keras.layers.Conv2D(16, 1)(se)
    se = tf.keras.layers.Activation("hard_sigmoid")(se)
    x = tf.keras.layers.Multiply()([x, se])
    x = tf.keras.layers.Conv2D(16, 1)(x)
    x = tf.keras.layers.Add()([x, skip])
    x = tf.keras.layers.Conv2D(32, 1)(x)
    x = tf.keras.layers.Activation("hard_swish")(x)
    x = tf.keras.layers.DepthwiseConv2D(3, strides=2, padding="same")(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    x = tf.keras.layers.Dense(10)(x)
    outputs = tf.keras.layers.Softmax()(x)
    model = tf.keras.Model(inputs, outputs)
    rng = np.random.RandomState(SEED)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def dynamic_batch_model():
    inputs = tf.keras.Input(shape=(4, 4, 3), name="x")
    x = tf.keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = tf.keras.layers.Reshape((-1,))(x)
    outputs = tf.keras.layers.Dense(5)(x)
    model = tf.keras.Model(inputs, outputs)
    rng = np.random.RandomState(SEED + 1)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def representative(shapes):
    rng = np.random.RandomState(SEED + 2)
    def generator():
        for _ in range(32):
            yield [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    return generator


def convert(converter, kind, shapes):
    if kind in ("int8", "int8_float_io"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative(shapes)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if kind == "int8":
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    elif kind == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def quantization(detail):
    scale, zero = detail["quantization"]
    return float(scale), int(zero)


def run_reference(path, name, resize=None):
    interpreter = Interpreter(model_path=path, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    if resize:
        for index, shape in enumerate(resize):
            interpreter.resize_tensor_input(interpreter.get_input_details()[index]["index"], shape)
    interpreter.allocate_tensors()
    # crc32, not hash(): Python randomises string hashes per process.
    rng = np.random.RandomState(zlib.crc32(name.encode()))
    inputs, outputs = [], []
    for k, d in enumerate(interpreter.get_input_details()):
        if np.issubdtype(d["dtype"], np.floating):
            data = rng.uniform(-1, 1, d["shape"]).astype(d["dtype"])
        else:
            info = np.iinfo(d["dtype"])
            data = rng.randint(info.min, info.max + 1, d["shape"]).astype(d["dtype"])
        interpreter.set_tensor(d["index"], data)
        file = f"golden/{name}.input{k}.bin"
        data.tofile(os.path.join(HERE, file))
        scale, zero = quantization(d)
        inputs.append({"file": file, "shape": [int(v) for v in d["shape"]], "dtype": np.dtype(d["dtype"]).name, "scale": scale, "zero_point": zero})
    interpreter.invoke()
    for k, d in enumerate(interpreter.get_output_details()):
        data = interpreter.get_tensor(d["index"])
        file = f"golden/{name}.output{k}.bin"
        data.tofile(os.path.join(HERE, file))
        scale, zero = quantization(d)
        outputs.append({"file": file, "shape": [int(v) for v in data.shape], "dtype": np.dtype(d["dtype"]).name, "scale": scale, "zero_point": zero})
    ops = [op["op_name"] for op in interpreter._get_ops_details()]
    return inputs, outputs, ops


def main():
    for folder in (MODELS, GOLDEN):
        os.makedirs(folder, exist_ok=True)
    for f in os.listdir(GOLDEN):
        os.remove(os.path.join(GOLDEN, f))
    for f in os.listdir(MODELS):
        if not f.startswith("digits_"):
            os.remove(os.path.join(MODELS, f))
    entries = []

    def add(name, kind, model_bytes, description, resize=None, suffix=""):
        path = os.path.join(MODELS, name + ".tflite")
        if model_bytes is not None:
            with open(path, "wb") as f:
                f.write(model_bytes)
        case = name + suffix
        inputs, outputs, ops = run_reference(path, case, resize)
        entry = {"name": case, "model": f"models/{name}.tflite", "kind": kind, "ops": ops, "description": description,
                 "inputs": inputs, "outputs": outputs}
        if resize:
            entry["resize_input"] = resize
        entries.append(entry)
        print(f"{case:44} {kind:14} {' '.join(ops)}")

    for name, (shapes, fn) in cases().items():
        signature = [tf.TensorSpec(s, tf.float32) for s in shapes]
        function = tf.function(fn, input_signature=signature)
        concrete = function.get_concrete_function()
        for kind in ("float", "int8"):
            converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], function)
            add(f"{name}_{kind}", kind, convert(converter, kind, shapes), f"{name} ({kind})")

    for name, (shapes, fn, flags) in hybrid_cases().items():
        function = tf.function(fn, input_signature=[tf.TensorSpec(s, tf.float32) for s in shapes])
        converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()], function)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        for flag, value in flags.items():
            setattr(converter, flag, value)
        model = converter.convert()
        check_hybrid(name, model)
        add(name, "hybrid", model, f"{name} (dynamic-range: float input and output, INT8 weights)")

    for name, build in uint8_cases().items():
        add(name, "uint8", convert_uint8(name, build), f"{name[:-6]} (UINT8 activations and weights, TF1 converter)")

    v3 = mobilenet_v3_style()
    for kind in ("float", "int8", "int8_float_io"):
        add(f"mobilenet_v3_style_{kind}", kind, convert(tf.lite.TFLiteConverter.from_keras_model(v3), kind, [[1, 32, 32, 3]]),
            f"a small MobileNetV3-style network ({kind})")
    w, b = const([3, 3, 8, 16], 11), const([16], 12, 0.1)
    function = tf.function(bind(lambda x, w, b: tf.nn.relu6(tf.nn.conv2d(x, w, 1, "SAME") + b), w, b),
                           input_signature=[tf.TensorSpec([1, 8, 8, 8], tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()], function)
    add("conv2d_float16_weights", "float16", convert(converter, "float16", [[1, 8, 8, 8]]), "float16 weights behind DEQUANTIZE")

    dynamic = tf.lite.TFLiteConverter.from_keras_model(dynamic_batch_model()).convert()
    add("dynamic_batch_float", "float", dynamic, "batch dimension None: SHAPE → STRIDED_SLICE → PACK → RESHAPE, at batch 1")
    add("dynamic_batch_float", "float", None, "the same model resized to batch 3", resize=[[3, 4, 4, 3]], suffix="_batch3")

    manifest = {"generator": {"script": "Fixtures/generate.py", "tensorflow": tf.__version__, "ai_edge_litert": ai_edge_litert.__version__,
                              "numpy": np.__version__, "engine": "LiteRT reference kernels (OpResolverType.BUILTIN_REF)"},
                "cases": entries}
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(entries)} cases")


if __name__ == "__main__":
    main()
