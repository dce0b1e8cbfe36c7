#ifndef TFLITE_CATOMICS_H
#define TFLITE_CATOMICS_H

#include <stdint.h>
#include <stdbool.h>

/// Words shared between the threads of the worker pool: sequentially consistent C11 atomics
/// behind plain functions (Swift's own Atomic needs macOS 15).
int64_t tflite_atomic_load(const int64_t *word);
void tflite_atomic_store(int64_t *word, int64_t value);
int64_t tflite_atomic_fetch_add(int64_t *word, int64_t delta);
/// Sequentially consistent fetch-or; returns the previous value.
int64_t tflite_atomic_fetch_or(int64_t *word, int64_t bits);
/// Decrements *word if it is positive (compare-and-swap); returns whether it did.
bool tflite_atomic_decrement_if_positive(int64_t *word);
/// Stores `desired` if *word is `expected`; returns whether it did.
bool tflite_atomic_compare_exchange(int64_t *word, int64_t expected, int64_t desired);
/// A hint to the CPU that this thread is spinning (PAUSE / YIELD).
void tflite_spin_pause(void);

#endif
