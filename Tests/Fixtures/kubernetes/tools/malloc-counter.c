// malloc-counter: an LD_PRELOAD library counting allocation calls in the whole process, with a
// getter the process itself can look up (dlsym) to count the allocations of a code path.
// Used by the kubernetes scale measurement (Tests/PluginsTests/kubernetes/KubernetesScaleMeasurement.swift):
//
//   gcc -O2 -shared -fPIC -o /tmp/malloc-counter.so Tests/Fixtures/kubernetes/tools/malloc-counter.c
//   swift build -c release --build-tests -Xswiftc -enable-testing
//   LD_PRELOAD=/tmp/malloc-counter.so CLUSTERDNS_MEASURE=1 swift test -c release -Xswiftc -enable-testing \
//       --skip-build --filter KubernetesScaleMeasurement
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
static atomic_ulong allocations;
extern void *__libc_malloc(size_t); extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t); extern void *__libc_memalign(size_t, size_t);
void *malloc(size_t n) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); return __libc_realloc(p, n); }
int posix_memalign(void **r, size_t a, size_t n) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    void *p = __libc_memalign(a, n);
    *r = p;
    return p ? 0 : 12;
}
void *aligned_alloc(size_t a, size_t n) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); return __libc_memalign(a, n); }
/// Allocation calls so far (malloc, calloc, realloc, posix_memalign, aligned_alloc).
unsigned long clusterdns_allocation_count(void) { return atomic_load_explicit(&allocations, memory_order_relaxed); }
