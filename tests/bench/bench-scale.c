#include "bench.h"
void bench_scale(void) {}
