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

bool tflite_atomic_compare_exchange(int64_t *word, int64_t expected, int64_t desired) {
    return atomic_compare_exchange_strong((_Atomic int64_t *)word, &expected, desired);
}

void tflite_atomic_store_release(int64_t *word, int64_t value) {
    atomic_store_explicit((_Atomic int64_t *)word, value, memory_order_release);
}

int64_t tflite_range_take_front(int64_t *word) {
    int64_t value = atomic_load_explicit((_Atomic int64_t *)word, memory_order_relaxed);
    while ((value >> 32) < (value & 0xffffffff)) {
        if (atomic_compare_exchange_weak((_Atomic int64_t *)word, &value, value + ((int64_t)1 << 32))) return value >> 32;
    }
    return -1;
}

int64_t tflite_range_take_back(int64_t *word) {
    int64_t value = atomic_load_explicit((_Atomic int64_t *)word, memory_order_relaxed);
    while ((value >> 32) < (value & 0xffffffff)) {
        if (atomic_compare_exchange_weak((_Atomic int64_t *)word, &value, value - 1)) return (value & 0xffffffff) - 1;
    }
    return -1;
}

void tflite_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
