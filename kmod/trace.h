/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events: each change of decision a worker makes that counters
 * alone cannot show in order.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM fastvhost

#if !defined(_FV_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _FV_TRACE_H

#include <linux/tracepoint.h>

/*
 * fv_poll_adjust: a worker's polling window after a block of @block_ns
 * (poll.c), with the settings it was computed from.
 */
TRACE_EVENT(fv_poll_adjust,
	    TP_PROTO(u64 block_ns, u64 old_ns, u64 new_ns, u32 max_ns,
		     u32 grow, u32 shrink),
	    TP_ARGS(block_ns, old_ns, new_ns, max_ns, grow, shrink),
	    TP_STRUCT__entry(__field(u64, block_ns)
			     __field(u64, old_ns)
			     __field(u64, new_ns)
			     __field(u32, max_ns)
			     __field(u32, grow)
			     __field(u32, shrink)),
	    TP_fast_assign(__entry->block_ns = block_ns;
			   __entry->old_ns = old_ns;
			   __entry->new_ns = new_ns;
			   __entry->max_ns = max_ns;
			   __entry->grow = grow;
			   __entry->shrink = shrink;),
	    TP_printk("block=%llu window=%llu new=%llu max=%u grow=%u shrink=%u",
		      __entry->block_ns, __entry->old_ns, __entry->new_ns,
		      __entry->max_ns, __entry->grow, __entry->shrink)
);

#endif /* _FV_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
