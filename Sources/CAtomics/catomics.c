#include "catomics.h"
#include <stdatomic.h>

int64_t tflite_atomic_load(const int64_t *word) {
    return atomic_load((_Atomic int64_t *)word);
}

void tflite_atomic_store(int64_t *word, int64_t value) {
    atomic_store((_Atomic int64_t *)word, value);
}

int64_t tflite_atomic_fetch_add(int64_t *word, int64_t delta) {
    return atomic_fetch_add((_Atomic int64_t *)word, delta);
}

int64_t tflite_atomic_fetch_or(int64_t *word, int64_t bits) {
    return atomic_fetch_or((_Atomic int64_t *)word, bits);
}

void tflite_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
