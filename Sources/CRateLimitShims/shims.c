// Everything else is `static inline` in the header; what lives here needs headers that must not
// reach Swift through the module (see each function).
#include "CRateLimitShims.h"

#include <sys/resource.h>
#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#endif

__thread void *crl_reader_record_tls __attribute__((tls_model("initial-exec"))) = NULL;
__thread uint64_t crl_sample_state_tls __attribute__((tls_model("initial-exec"))) = 0;

long crl_thread_involuntary_switches(void) {
#if defined(__linux__) && defined(RUSAGE_THREAD)
    struct rusage usage;
    return getrusage(RUSAGE_THREAD, &usage) == 0 ? usage.ru_nivcsw : -1;
#else
    return -1;
#endif
}

int crl_membarrier_register(void) {
#if defined(__linux__) && defined(SYS_membarrier)
    long supported = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (supported < 0) {
        return errno;
    }
    if ((supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) {
        return ENOTSUP;
    }
    return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 ? 0 : errno;
#else
    return ENOTSUP;
#endif
}

int crl_membarrier(void) {
#if defined(__linux__) && defined(SYS_membarrier)
    return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0 ? 0 : errno;
#else
    return ENOTSUP;
#endif
}
