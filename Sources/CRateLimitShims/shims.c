// Everything else is `static inline` in the header; what lives here needs headers that must not
// reach Swift through the module (see each function).
#include "CRateLimitShims.h"

#include <sys/resource.h>

long crl_thread_involuntary_switches(void) {
#if defined(__linux__) && defined(RUSAGE_THREAD)
    struct rusage usage;
    return getrusage(RUSAGE_THREAD, &usage) == 0 ? usage.ru_nivcsw : -1;
#else
    return -1;
#endif
}
