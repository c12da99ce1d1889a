/* Translation unit for the CSystem module; the shim is header-only (static inline functions). */
#include "CSystem.h"
