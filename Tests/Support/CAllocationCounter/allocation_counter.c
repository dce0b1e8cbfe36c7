// Test support: counts heap allocations made by one thread, so a test can state that
// `invoke()` allocates nothing. On glibc the test binary's own `malloc` (and friends) take
// precedence over libc's for every library in the process; each forwards to glibc's
// implementation (`__libc_malloc`, exported for exactly this) and counts the call when the
// calling thread has counting on. Elsewhere — or under AddressSanitizer, which replaces malloc
// itself — nothing is replaced and the tests that need counts skip.
#include "allocation_counter.h"

#include <errno.h>
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TFLITE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TFLITE_ASAN 1
#endif

#if defined(__linux__) && defined(__GLIBC__) && !defined(TFLITE_ASAN)

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Thread_local int counting;
static _Thread_local long allocations;

static inline void note(void) {
    if (counting) allocations += 1;
}

void *malloc(size_t size) {
    note();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    note();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    note();
    return __libc_realloc(pointer, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    note();
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

int tflite_test_counts_allocations(void) { return 1; }

void tflite_test_allocations_start(void) {
    allocations = 0;
    counting = 1;
}

long tflite_test_allocations_stop(void) {
    counting = 0;
    return allocations;
}

#else

int tflite_test_counts_allocations(void) { return 0; }
void tflite_test_allocations_start(void) {}
long tflite_test_allocations_stop(void) { return 0; }

#endif
