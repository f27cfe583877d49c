#ifndef RUNWAY_CZLIB_SHIM_H
#define RUNWAY_CZLIB_SHIM_H
#include <zlib.h>
#endif
