#!/usr/bin/env python3
"""The LiteRT side of `tflite-run compare`: the same metrics, computed by LiteRT.

Runs a float model and its quantized version with LiteRT's reference kernels on every image
under a folder (class = subfolder name), preprocessing exactly as tflite-run does for images
already at the model's size: gray or RGB pixels → (x − 127.5) / 127.5 → the input's type
(int8/uint8: round half away from zero of value / scale, plus zero point, clamped).

    python3 Fixtures/litert_compare.py Fixtures/models/digits_float.tflite Fixtures/models/digits_int8.tflite Fixtures/digits/test
"""
import json, os, sys

import numpy as np
from PIL import Image
from ai_edge_litert.interpreter import Interpreter, OpResolverType


def prepare(path, detail):
    shape = detail["shape"]
    image = Image.open(path)
    image = image.convert("L" if shape[-1] == 1 else "RGB")
    if image.size != (shape[2], shape[1]):
        sys.exit(f"{path}: {image.size} is not the model's size; this script does not resize")
    x = (np.asarray(image, dtype=np.float32) - 127.5) / 127.5
    x = x.reshape(shape)
    if detail["dtype"] == np.float32:
        return x
    scale, zero = detail["quantization"]
    q = np.sign(x / scale) * np.floor(np.abs(x / scale) + 0.5) + zero
    info = np.iinfo(detail["dtype"])
    return np.clip(q, info.min, info.max).astype(detail["dtype"])


def run(interpreter, path):
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], prepare(path, detail))
    interpreter.invoke()
    out = interpreter.get_output_details()[0]
    values = interpreter.get_tensor(out["index"]).astype(np.float64).reshape(-1)
    if out["dtype"] != np.float32:
        scale, zero = out["quantization"]
        values = (values - zero) * scale
    return values


def main():
    float_path, quant_path, folder = sys.argv[1:4]
    engines = [Interpreter(model_path=p, experimental_op_resolver_type=OpResolverType.BUILTIN_REF) for p in (float_path, quant_path)]
    for e in engines:
        e.allocate_tensors()
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs
                   if f.lower().endswith((".png", ".jpg", ".jpeg", ".bmp")))
    stats = dict(images=0, float_top1=0, float_top5=0, quant_top1=0, quant_top5=0, agree=0, overlap=0.0)
    for path in files:
        truth = int(os.path.basename(os.path.dirname(path)))
        f, q = (run(e, path) for e in engines)
        ft, qt = list(np.argsort(-f, kind="stable")[:5]), list(np.argsort(-q, kind="stable")[:5])
        stats["images"] += 1
        stats["float_top1"] += ft[0] == truth
        stats["float_top5"] += truth in ft
        stats["quant_top1"] += qt[0] == truth
        stats["quant_top5"] += truth in qt
        stats["agree"] += ft[0] == qt[0]
        stats["overlap"] += len(set(ft) & set(qt)) / 5
    n = stats["images"]
    print(json.dumps({"images": n,
                      "float": {"top1": stats["float_top1"] / n, "top5": stats["float_top5"] / n},
                      "quantized": {"top1": stats["quant_top1"] / n, "top5": stats["quant_top5"] / n},
                      "top1_agreement": stats["agree"] / n, "top5_overlap": stats["overlap"] / n}, indent=1))


if __name__ == "__main__":
    main()
