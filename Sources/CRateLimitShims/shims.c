// SwiftPM needs one source file per C target; every helper is `static inline` in the header.
#include "CRateLimitShims.h"
