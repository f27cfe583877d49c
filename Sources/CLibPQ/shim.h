#ifndef RUNWAY_CLIBPQ_SHIM_H
#define RUNWAY_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
