#ifndef TFLITE_CATOMICS_H
#define TFLITE_CATOMICS_H

#include <stdint.h>
#include <stdbool.h>

/// Words shared between the threads of the worker pool: C11 atomics (sequentially consistent
/// unless named otherwise) behind plain functions (Swift's own Atomic needs macOS 15).
int64_t tflite_atomic_load(const int64_t *word);
void tflite_atomic_store(int64_t *word, int64_t value);
int64_t tflite_atomic_fetch_add(int64_t *word, int64_t delta);
/// Sequentially consistent fetch-or; returns the previous value.
int64_t tflite_atomic_fetch_or(int64_t *word, int64_t bits);
/// Stores `desired` if *word is `expected`; returns whether it did.
bool tflite_atomic_compare_exchange(int64_t *word, int64_t expected, int64_t desired);
/// Release store: ordered after this thread's earlier stores, without the full fence of a
/// sequentially consistent store (a plain store on x86).
void tflite_atomic_store_release(int64_t *word, int64_t value);
/// A range of tasks packed in one word, front · 2^32 + back (0 ≤ front ≤ back < 2^31): takes
/// the front task (front + 1) or the back one (back − 1) with one compare-and-swap; returns
/// the task, or −1 when the range is empty.
int64_t tflite_range_take_front(int64_t *word);
int64_t tflite_range_take_back(int64_t *word);
/// A hint to the CPU that this thread is spinning (PAUSE / YIELD).
void tflite_spin_pause(void);

#endif
