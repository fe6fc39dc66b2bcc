// Small C helpers for what Swift's Glibc module does not export. Everything here is `static inline`
// so that Swift inlines it into the hot paths: no call, no PLT.
#ifndef C_RATE_LIMIT_SHIMS_H
#define C_RATE_LIMIT_SHIMS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE // sched_getcpu, PTHREAD_MUTEX_ADAPTIVE_NP, CLOCK_MONOTONIC_COARSE, __rseq_*
#endif

#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#if defined(__linux__)
#if defined(__has_include)
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#define CRL_HAVE_RSEQ 1
// Declared weak so that a binary built here still loads on a glibc older than 2.35.
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));
#endif
#endif
#endif

/// The CPU the calling thread runs on, in `0 ..< CPU count`, used only to spread threads over
/// striped counters: a stale answer (the thread migrated) costs speed, never correctness.
///
/// glibc 2.35+ registers restartable sequences for every thread, and the kernel keeps `cpu_id` in
/// that per-thread area up to date: reading it is one load (~0.5 ns here) where `sched_getcpu()`
/// costs ~3.6 ns. Falls back to `sched_getcpu()` when rseq is unavailable.
static inline int crl_current_cpu(void) {
#if defined(CRL_HAVE_RSEQ) && (defined(__x86_64__) || defined(__aarch64__))
    if (&__rseq_size != NULL && __rseq_size > 0) {
        const struct rseq *area = (const struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
        int cpu = (int)__atomic_load_n(&area->cpu_id, __ATOMIC_RELAXED);
        if (cpu >= 0) {
            return cpu;
        }
    }
#endif
#if defined(__linux__)
    int cpu = sched_getcpu();
    return cpu < 0 ? 0 : cpu;
#else
    return 0;
#endif
}

/// `CLOCK_MONOTONIC` in nanoseconds: precise, ~25 ns through the vDSO on this kind of machine.
static inline int64_t crl_monotonic_nanoseconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + (int64_t)ts.tv_nsec;
}

/// `CLOCK_MONOTONIC_COARSE` in nanoseconds: the time of the last scheduler tick, ~6 ns to read,
/// with the tick's resolution (1–4 ms). Falls back to `CLOCK_MONOTONIC` where it does not exist.
static inline int64_t crl_monotonic_coarse_nanoseconds(void) {
    struct timespec ts;
#if defined(CLOCK_MONOTONIC_COARSE)
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (int64_t)ts.tv_sec * 1000000000LL + (int64_t)ts.tv_nsec;
}

/// The resolution of `crl_monotonic_coarse_nanoseconds()`, in nanoseconds.
static inline int64_t crl_monotonic_coarse_resolution_nanoseconds(void) {
    struct timespec ts = {0, 0};
#if defined(CLOCK_MONOTONIC_COARSE)
    clock_getres(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_getres(CLOCK_MONOTONIC, &ts);
#endif
    return (int64_t)ts.tv_sec * 1000000000LL + (int64_t)ts.tv_nsec;
}

/// Initialises `mutex` as glibc's adaptive mutex, which spins briefly before sleeping: the critical
/// sections it guards are tens of nanoseconds, far shorter than a futex sleep and wake-up.
/// ThreadSanitizer understands pthread mutexes, unlike `Synchronization.Mutex` on this toolchain.
static inline int crl_mutex_init(pthread_mutex_t *mutex) {
    pthread_mutexattr_t attributes;
    int result = pthread_mutexattr_init(&attributes);
    if (result != 0) {
        return result;
    }
#if defined(__linux__) && defined(PTHREAD_MUTEX_ADAPTIVE_NP)
    (void)pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    result = pthread_mutex_init(mutex, &attributes);
    (void)pthread_mutexattr_destroy(&attributes);
    return result;
}

/// The number of CPUs this process may run on (its affinity mask, which containers and `taskset`
/// narrow), or the online CPU count where the mask cannot be read. Never less than 1.
static inline int crl_active_cpu_count(void) {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) {
            return count;
        }
    }
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}

/// The number of CPUs configured on the machine (online or not): CPU ids are below it.
static inline int crl_configured_cpu_count(void) {
    long configured = sysconf(_SC_NPROCESSORS_CONF);
    return configured > 0 ? (int)configured : 1;
}

/// Writes the ids of the CPUs this process may run on (its affinity mask), ascending, into
/// `cpus` (room for `capacity`), and returns how many there are (which may exceed `capacity`), or
/// -1 where the mask cannot be read.
static inline int crl_allowed_cpus(int *cpus, int capacity) {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        return -1;
    }
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &set)) {
            if (count < capacity) {
                cpus[count] = cpu;
            }
            count++;
        }
    }
    return count;
#else
    (void)cpus;
    (void)capacity;
    return -1;
#endif
}

/// Times the calling thread was preempted (involuntary context switches), or -1 where the
/// platform cannot say per thread. Defined in shims.c: `<sys/resource.h>` with `_GNU_SOURCE`
/// clashes with Glibc's module in Swift.
long crl_thread_involuntary_switches(void);

/// Pins the calling thread to CPU `cpu`. Returns 0, or an errno value (`ENOTSUP` where the
/// platform cannot pin threads).
static inline int crl_pin_current_thread(int cpu) {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
#else
    (void)cpu;
    return ENOTSUP;
#endif
}

/// Yields the processor: used while waiting for readers to leave a read section.
static inline void crl_yield(void) {
    (void)sched_yield();
}

/// The calling thread's read-section record (``ReaderRecord`` in `RateLimit`), or NULL before its
/// first read section. Initial-exec TLS: reading it is one `%fs`-relative load, no call.
extern __thread void *crl_reader_record_tls __attribute__((tls_model("initial-exec")));

static inline void *crl_reader_record(void) {
    return crl_reader_record_tls;
}

static inline void crl_set_reader_record(void *record) {
    crl_reader_record_tls = record;
}

/// The calling thread's sampling state (see `crl_sample_tick`); every thread starts at 0.
extern __thread uint64_t crl_sample_state_tls __attribute__((tls_model("initial-exec")));

/// Returns 1 with probability 1 / (`mask` + 1), `mask` one less than a power of two, else 0: a
/// SplitMix64 draw from a per-thread state. What the HTTP middleware uses to time one decision in
/// N. A plain thread-local update: a shared counter would put a locked instruction and a
/// contended cache line on every request. A draw rather than a count, so that callers sharing a
/// thread (nested middlewares, whose calls alternate) are each sampled at the same rate; with a
/// shared count, one of two alternating callers would only ever see odd values.
static inline int crl_sample_tick(uint32_t mask) {
    uint64_t z = (crl_sample_state_tls += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((uint32_t)(z >> 32) & mask) == 0;
}

/// Stops the compiler, not the CPU, from moving memory accesses across this point (a signal
/// fence): what a read section needs when writers issue `crl_membarrier()` for it.
static inline void crl_compiler_barrier(void) {
    __asm__ __volatile__("" ::: "memory");
}

/// Registers the process for `MEMBARRIER_CMD_PRIVATE_EXPEDITED` (Linux 4.14+). Returns 0, or an
/// errno value where the kernel or a seccomp filter refuses it. Defined in shims.c: the syscall
/// headers stay out of Swift's view.
int crl_membarrier_register(void);

/// Makes every running thread of this process execute a full memory barrier before returning
/// (`MEMBARRIER_CMD_PRIVATE_EXPEDITED`). Returns 0, or an errno value. Only after a successful
/// `crl_membarrier_register()`.
int crl_membarrier(void);

/// Asks the CPU to start loading the cache line at `address`. Not a memory access: it cannot
/// fault, is not ordered with anything and is invisible to other threads, so `address` may point
/// to memory another thread has freed meanwhile (the worst case is a wasted load).
static inline void crl_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
