#!/usr/bin/env python3
"""Side-by-side latency: LiteRT (XNNPACK and builtin kernels) against `tflite-run bench`.

For each model and thread count, the three engines run interleaved in one process run, each
reporting the median of N invokes after a warm-up; the table gives medians and ratios
(ours / theirs: below 1.0 means we are faster). Needs `pip install ai-edge-litert numpy` and a
release build (`swift build -c release`).

    python3 bench/compare_litert.py [--runs 50] [--threads 1 2] [--models PATH ...] [--json out.json]
"""
import argparse, json, os, statistics, subprocess, sys, time

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "models")
DEFAULT_MODELS = [os.path.join(SHARED, "bench", f) for f in (
    "mobilenet_v2_1.0_224_float.tflite", "mobilenet_v2_1.0_224_int8.tflite",
    "mobilenet_v3_small_1.0_224_float.tflite", "mobilenet_v3_small_1.0_224_int8.tflite",
    "mobilenet_v3_large_1.0_224_float.tflite", "mobilenet_v3_large_1.0_224_int8.tflite")] + [
    os.path.join(SHARED, "mobilenet_v2_1.0_224_uint8.tflite"),
    os.path.join(SHARED, "mobilenet_v3_small_1.0_224_uint8.tflite")]


def litert_median(path, threads, runs, warmup, resolver):
    kwargs = {"num_threads": threads}
    if resolver is not None:
        kwargs["experimental_op_resolver_type"] = resolver
    interpreter = Interpreter(model_path=path, **kwargs)
    interpreter.allocate_tensors()
    rng = np.random.default_rng(0)
    for detail in interpreter.get_input_details():
        dtype = detail["dtype"]
        if np.issubdtype(dtype, np.floating):
            data = rng.uniform(-1, 1, detail["shape"]).astype(dtype)
        else:
            info = np.iinfo(dtype)
            data = rng.integers(info.min, info.max + 1, detail["shape"]).astype(dtype)
        interpreter.set_tensor(detail["index"], data)
    for _ in range(warmup):
        interpreter.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interpreter.invoke()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def ours_median(binary, path, threads, runs, warmup):
    out = subprocess.run([binary, "bench", path, "--threads", str(threads), "--runs", str(runs),
                          "--warmup", str(warmup), "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip()
    return json.loads(out.stdout)["median_ms"], ""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved rounds per model and thread count; the median of the rounds' medians is kept")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "tflite-run"))
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    args = parser.parse_args()
    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} not found: run `swift build -c release` first")

    rows = []
    header = f"{'model':44} {'thr':>3} {'XNNPACK':>9} {'builtin':>9} {'ours':>9} {'ours/XNN':>9} {'ours/builtin':>12}"
    print(header)
    print("-" * len(header))
    for path in args.models:
        if not os.path.exists(path):
            print(f"{os.path.basename(path):44} missing, skipped")
            continue
        for threads in args.threads:
            # Interleaved: each engine once per round; the medians' median is kept.
            xnn, builtin, ours, note = [], [], [], ""
            for _ in range(max(1, args.rounds)):
                xnn.append(litert_median(path, threads, args.runs, args.warmup, None))
                builtin.append(litert_median(path, threads, args.runs, args.warmup,
                                             OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES))
                value, note = ours_median(args.binary, path, threads, args.runs, args.warmup)
                if value is None:
                    break
                ours.append(value)
            row = {"model": os.path.basename(path), "threads": threads,
                   "xnnpack_ms": statistics.median(xnn), "builtin_ms": statistics.median(builtin),
                   "ours_ms": statistics.median(ours) if ours else None, "error": note or None}
            rows.append(row)
            if row["ours_ms"] is None:
                print(f"{row['model']:44} {threads:>3} {row['xnnpack_ms']:9.2f} {row['builtin_ms']:9.2f}   failed: {note}")
            else:
                print(f"{row['model']:44} {threads:>3} {row['xnnpack_ms']:9.2f} {row['builtin_ms']:9.2f} {row['ours_ms']:9.2f}"
                      f" {row['ours_ms'] / row['xnnpack_ms']:9.2f} {row['ours_ms'] / row['builtin_ms']:12.2f}")
            sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
