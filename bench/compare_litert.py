#!/usr/bin/env python3
"""Side-by-side latency: LiteRT (XNNPACK and builtin kernels) against `tflite-run bench`.

For each model and thread count the three engines are loaded once, side by side, and then run
in turns: each round every engine runs a block of --runs invokes (ours through `tflite-run
bench --serve`, a process kept running), the engines' order rotating from round to round.
The table gives each engine's median over the rounds of its block medians, and the ratios as
the median over the rounds of the same round's ratio (ours / theirs: below 1.0 means we are
faster) — pairs measured a few milliseconds apart, so a machine whose speed drifts (a shared
virtual machine) moves both sides of a ratio alike. On Linux the engines of a row share the
same CPUs (the last N the script may use, N the thread count; `--no-pin` leaves them free):
unpinned, the one-thread engines ran on whichever CPU the system gave each process, and on a
virtual machine whose two CPUs ran at different speeds for seconds at a time that moved a
one-thread ratio by 0.15 from one run to the next. Needs `pip install ai-edge-litert numpy` and
a release build (`swift build -c release`).

    python3 bench/compare_litert.py [--runs 10] [--rounds 30] [--threads 1 2] [--models PATH ...] [--json out.json] [--no-pin]
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


class LiteRT:
    """A LiteRT interpreter (XNNPACK by default, or the builtin kernels) on seeded random input."""

    def __init__(self, path, threads, warmup, resolver):
        kwargs = {"num_threads": threads}
        if resolver is not None:
            kwargs["experimental_op_resolver_type"] = resolver
        self.interpreter = Interpreter(model_path=path, **kwargs)
        self.interpreter.allocate_tensors()
        rng = np.random.default_rng(0)
        for detail in self.interpreter.get_input_details():
            dtype = detail["dtype"]
            if np.issubdtype(dtype, np.floating):
                data = rng.uniform(-1, 1, detail["shape"]).astype(dtype)
            else:
                info = np.iinfo(dtype)
                data = rng.integers(info.min, info.max + 1, detail["shape"]).astype(dtype)
            self.interpreter.set_tensor(detail["index"], data)
        for _ in range(warmup):
            self.interpreter.invoke()

    def block(self, runs):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            self.interpreter.invoke()
            times.append((time.perf_counter() - start) * 1000)
        return times

    def close(self):
        pass


class Ours:
    """`tflite-run bench --serve`: one process, a block of invokes per request."""

    def __init__(self, binary, path, threads, warmup):
        self.process = subprocess.Popen([binary, "bench", path, "--threads", str(threads), "--warmup", str(warmup), "--serve"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def block(self, runs):
        self.process.stdin.write(f"{runs}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(self.process.stderr.read().strip() or "tflite-run bench --serve stopped")
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="invokes per engine per round")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=30, help="rounds per model and thread count")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "tflite-run"))
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    parser.add_argument("--no-pin", action="store_true", help="do not run a row's engines on the same CPUs")
    args = parser.parse_args()
    pinnable = hasattr(os, "sched_setaffinity") and not args.no_pin
    allowed = sorted(os.sched_getaffinity(0)) if pinnable else []
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
            engines, note = {}, ""
            if pinnable:
                # LiteRT runs in this process and `tflite-run` inherits its CPUs when started.
                os.sched_setaffinity(0, allowed[-threads:] if threads < len(allowed) else allowed)
            try:
                engines["xnn"] = LiteRT(path, threads, args.warmup, None)
                engines["builtin"] = LiteRT(path, threads, args.warmup, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
                engines["ours"] = Ours(args.binary, path, threads, args.warmup)
                medians = {name: [] for name in engines}
                for round in range(max(1, args.rounds)):
                    names = list(engines)
                    names = names[round % len(names):] + names[:round % len(names)]
                    for name in names:
                        medians[name].append(statistics.median(engines[name].block(args.runs)))
            except (RuntimeError, ValueError) as error:
                note = str(error)
            finally:
                for engine in engines.values():
                    engine.close()
                if pinnable:
                    os.sched_setaffinity(0, allowed)
            ok = not note
            row = {"model": os.path.basename(path), "threads": threads,
                   "xnnpack_ms": statistics.median(medians["xnn"]) if ok else None,
                   "builtin_ms": statistics.median(medians["builtin"]) if ok else None,
                   "ours_ms": statistics.median(medians["ours"]) if ok else None,
                   "ours_over_xnnpack": statistics.median(o / x for o, x in zip(medians["ours"], medians["xnn"])) if ok else None,
                   "ours_over_builtin": statistics.median(o / b for o, b in zip(medians["ours"], medians["builtin"])) if ok else None,
                   "error": note or None}
            rows.append(row)
            if row["ours_ms"] is None:
                print(f"{row['model']:44} {threads:>3}   failed: {note}")
            else:
                print(f"{row['model']:44} {threads:>3} {row['xnnpack_ms']:9.2f} {row['builtin_ms']:9.2f} {row['ours_ms']:9.2f}"
                      f" {row['ours_over_xnnpack']:9.2f} {row['ours_over_builtin']:12.2f}")
            sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
