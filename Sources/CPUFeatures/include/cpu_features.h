#ifndef TFLITE_CPU_FEATURES_H
#define TFLITE_CPU_FEATURES_H

/// The widest instruction-set level the running CPU (and OS) supports for our kernels:
/// 0 = the platform's baseline (SSE2 on x86-64, NEON on arm64), 1 = AVX2 + FMA,
/// 2 = AVX-512 F/BW/DQ/VL, 3 = that plus AVX512_VNNI.
int tflite_cpu_kernel_level(void);

/// 1 when the CPU has AVX512_VBMI (byte permutes across a register: `vpermi2b`), else 0.
int tflite_cpu_has_avx512vbmi(void);

#endif
