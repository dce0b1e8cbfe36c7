#ifndef TFLITE_ALLOCATION_COUNTER_H
#define TFLITE_ALLOCATION_COUNTER_H

/// 1 if this test binary counts heap allocations (glibc, no sanitizer replacing malloc), else 0.
int tflite_test_counts_allocations(void);
/// Starts counting the calling thread's malloc / calloc / realloc / posix_memalign calls.
void tflite_test_allocations_start(void);
/// Stops counting on the calling thread and returns how many calls it made since the start.
long tflite_test_allocations_stop(void);

#endif
