#include "bench.h"
void bench_dump(void) {}
void bench_startup(void) {}
