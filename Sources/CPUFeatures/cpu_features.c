#include "cpu_features.h"

int tflite_cpu_kernel_level(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    int level = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
    if (level == 1 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) level = 2;
    if (level == 2 && __builtin_cpu_supports("avx512vnni")) level = 3;
    return level;
#else
    return 0;
#endif
}

int tflite_cpu_has_avx512vbmi(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vbmi") ? 1 : 0;
#else
    return 0;
#endif
}
