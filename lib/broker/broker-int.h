/*
 * broker-int.h: what the broker's modules share beyond their own headers:
 * the configuration it runs with, its counters and its clocks.
 */

#ifndef QSHM_BROKER_INT_H
#define QSHM_BROKER_INT_H

#include <stdint.h>

#include "proto.h"
#include "broker.h"

/* The running configuration (also set by unit tests). */
extern const struct broker_config	*broker_cfg;
/* The counters PROTO_STATS reports. */
extern struct qshm_stats		 broker_stats;

/* Count a denial under its reason (errno). */
void		broker_count_denial(int err);
/* The start time a restart carries over (monotonic ms). */
uint64_t	*broker_start_time(void);

/*
 * A uid's share of a broker-wide cap: per_uid if set (at most the cap),
 * else max(cap / 4, 16), at most the cap.
 */
uint64_t	broker_share(uint64_t cap, uint64_t per_uid);
/* cap, or RLIMIT_NOFILE / div if that is less (at least 1). */
uint64_t	broker_fd_budget(uint64_t cap, unsigned div);
/* The caps on parkings and on fds in flight, within the fd limit. */
uint64_t	broker_parked_cap(void);
uint64_t	broker_inflight_cap(void);

/* Milliseconds on the monotonic clock. */
uint64_t	broker_now_ms(void);
/* Milliseconds since the broker started. */
uint64_t	broker_uptime_ms(void);
/* The system page size. */
uint64_t	broker_page_size(void);

#endif /* QSHM_BROKER_INT_H */
