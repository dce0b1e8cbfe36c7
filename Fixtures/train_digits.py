#!/usr/bin/env python3
"""Trains the shipped demo pair: a small MobileNet-style classifier of handwritten digits.

Data: scikit-learn's bundled `load_digits` (1,797 real 8×8 handwritten digits, 10 classes; no
download). Each digit is upscaled to 32×32 gray. A fixed, seeded 80/20 split; the test images
are written as PNG files under Fixtures/digits/test/<class>/ so `tflite-run compare` finds the
ground truth in the folder names, and the labels ("0" … "9") in Fixtures/digits/labels.txt.

Model: depthwise-separable blocks (conv 3×3 → [depthwise 3×3 + pointwise 1×1, ReLU6] × 3 →
global average pool → dense → softmax), input [1, 32, 32, 1] with pixels normalised as
(x − 127.5) / 127.5. Converted with TensorFlow's TFLite converter to
  Fixtures/models/digits_float.tflite   (float32)
  Fixtures/models/digits_int8.tflite    (full int8 with a representative dataset, int8 I/O)

Run from the repository root: python3 Fixtures/train_digits.py   (needs tensorflow, scikit-learn, pillow)
"""
import json, os, random, shutil

import numpy as np

SEED = 20261128
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
random.seed(SEED)
np.random.seed(SEED)

import tensorflow as tf
from PIL import Image
from sklearn.datasets import load_digits

tf.random.set_seed(SEED)
HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = 32


def images_and_labels():
    digits = load_digits()
    # 0…16 intensities → 0…255 gray, upscaled bilinearly to 32×32 as 8-bit images.
    pixels = []
    for image in digits.images:
        gray = Image.fromarray(np.uint8(np.round(image * (255.0 / 16.0))), mode="L")
        pixels.append(np.asarray(gray.resize((SIZE, SIZE), Image.BILINEAR), dtype=np.uint8))
    return np.stack(pixels), digits.target.astype(np.int64)


def normalise(pixels):
    return ((pixels.astype(np.float32) - 127.5) / 127.5)[..., np.newaxis]


def build_model():
    inputs = tf.keras.Input(shape=(SIZE, SIZE, 1), batch_size=1, name="image")
    x = tf.keras.layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inputs)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.ReLU(6.0)(x)
    for filters, stride in ((32, 1), (64, 2), (64, 1)):
        x = tf.keras.layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
        x = tf.keras.layers.BatchNormalization()(x)
        x = tf.keras.layers.ReLU(6.0)(x)
        x = tf.keras.layers.Conv2D(filters, 1, use_bias=False)(x)
        x = tf.keras.layers.BatchNormalization()(x)
        x = tf.keras.layers.ReLU(6.0)(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    x = tf.keras.layers.Dense(10)(x)
    outputs = tf.keras.layers.Softmax(name="probabilities")(x)
    return tf.keras.Model(inputs, outputs)


def main():
    pixels, labels = images_and_labels()
    order = np.random.RandomState(SEED).permutation(len(labels))
    split = int(len(labels) * 0.8)
    train, test = order[:split], order[split:]

    training = build_model()
    # Train at batch 32 on a model of the same weights, then convert the batch-1 model.
    train_model = tf.keras.Sequential([tf.keras.Input(shape=(SIZE, SIZE, 1))] + training.layers[1:])
    train_model.compile(optimizer=tf.keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    train_model.fit(normalise(pixels[train]), labels[train], epochs=25, batch_size=32, verbose=0, shuffle=True)
    _, accuracy = train_model.evaluate(normalise(pixels[test]), labels[test], verbose=0)
    print(f"keras test accuracy: {accuracy:.4f}")

    models = os.path.join(HERE, "models")
    os.makedirs(models, exist_ok=True)
    converter = tf.lite.TFLiteConverter.from_keras_model(training)
    with open(os.path.join(models, "digits_float.tflite"), "wb") as f:
        f.write(converter.convert())

    def representative():
        for i in train[:300]:
            yield [normalise(pixels[i:i + 1])]

    converter = tf.lite.TFLiteConverter.from_keras_model(training)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with open(os.path.join(models, "digits_int8.tflite"), "wb") as f:
        f.write(converter.convert())

    root = os.path.join(HERE, "digits")
    shutil.rmtree(os.path.join(root, "test"), ignore_errors=True)
    for n, i in enumerate(test):
        folder = os.path.join(root, "test", str(labels[i]))
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(pixels[i], mode="L").save(os.path.join(folder, f"digit_{n:04d}.png"), optimize=True)
    with open(os.path.join(root, "labels.txt"), "w") as f:
        f.write("\n".join(str(d) for d in range(10)) + "\n")
    with open(os.path.join(root, "README.md"), "w") as f:
        f.write(
            "# Handwritten digits: the shipped demo data\n\n"
            f"Made by `Fixtures/train_digits.py` (TensorFlow {tf.__version__}) from scikit-learn's bundled digits\n"
            "(UCI ML hand-written digits, 1,797 images, 8×8, upscaled bilinearly to 32×32 gray).\n"
            f"`test/<class>/*.png`: the {len(test)} held-out test images; `labels.txt`: class names.\n"
            f"Keras test accuracy at training time: {accuracy:.4f}.\n")
    print(f"wrote {len(test)} test images")


if __name__ == "__main__":
    main()
