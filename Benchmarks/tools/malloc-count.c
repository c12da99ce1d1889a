// malloc-count: an LD_PRELOAD library that counts malloc/calloc/realloc/posix_memalign and free calls in the
// whole process and prints the running totals to stderr once a second. Used to check that a server makes no
// allocation per datagram in steady state: the totals must stop moving while a load generator runs.
//
//   gcc -O2 -shared -fPIC -pthread -o malloc-count.so Benchmarks/tools/malloc-count.c
//   LD_PRELOAD=$PWD/malloc-count.so taskset -c 1 ./server 5399 2> malloc.log &
//   taskset -c 0 dnsperf -s 127.0.0.1 -p 5399 -d queries.txt -l 5
//   tail -3 malloc.log      # the same numbers before and after the load: 0 allocations per query
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static atomic_ulong mallocs, frees;
extern void *__libc_malloc(size_t); extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t); extern void __libc_free(void *);
extern int __libc_posix_memalign(void **, size_t, size_t);
void *malloc(size_t n) { atomic_fetch_add_explicit(&mallocs, 1, memory_order_relaxed); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&mallocs, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add_explicit(&mallocs, 1, memory_order_relaxed); return __libc_realloc(p, n); }
void free(void *p) { if (p) atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed); __libc_free(p); }
int posix_memalign(void **r, size_t a, size_t n) { atomic_fetch_add_explicit(&mallocs, 1, memory_order_relaxed); void *p = aligned_alloc(a, (n + a - 1) / a * a); *r = p; return p ? 0 : 12; }
static void *report(void *x) { (void)x; for (;;) { sleep(1); fprintf(stderr, "mallocs=%lu frees=%lu\n", atomic_load(&mallocs), atomic_load(&frees)); } return 0; }
__attribute__((constructor)) static void start(void) { pthread_t t; pthread_create(&t, 0, report, 0); }
