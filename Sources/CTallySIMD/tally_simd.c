// Everything is `static inline` in include/tally_simd.h; SwiftPM wants one source file.
#include "tally_simd.h"
