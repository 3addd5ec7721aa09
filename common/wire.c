/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>

#include "jg_wire.h"

const char *const jg_counter_names[JG_CNT_MAX] = {
#define JG_X_NAME(e, n, h) [JG_CNT_##e] = n,
	JG_WORKER_COUNTERS(JG_X_NAME)
#undef JG_X_NAME
};

const char *const jg_counter_help[JG_CNT_MAX] = {
#define JG_X_HELP(e, n, h) [JG_CNT_##e] = h,
	JG_WORKER_COUNTERS(JG_X_HELP)
#undef JG_X_HELP
};

const char *const jg_event_names[JG_EV_MAX] = {
	[JG_EV_NONE] = "",
#define JG_X_NAME(e, n) [JG_EV_##e] = n,
	JG_EVENT_TYPES(JG_X_NAME)
#undef JG_X_NAME
};

const char *const jg_tool_names[JG_TOOL_MAX] = {
#define JG_X_NAME(e, n, a) [JG_TOOL_##e] = n,
	JG_TOOLS(JG_X_NAME)
#undef JG_X_NAME
};

const uint8_t jg_tool_attack[JG_TOOL_MAX] = {
#define JG_X_ATTACK(e, n, a) [JG_TOOL_##e] = a,
	JG_TOOLS(JG_X_ATTACK)
#undef JG_X_ATTACK
};

const char *const jg_attr_names[JG_ATTR_MAX] = {
	[JG_ATTR_END] = "",
#define JG_X_NAME(e, n, k) [JG_ATTR_##e] = n,
	JG_EVENT_ATTRS(JG_X_NAME)
#undef JG_X_NAME
};

const uint8_t jg_attr_kinds[JG_ATTR_MAX] = {
#define JG_X_KIND(e, n, k) [JG_ATTR_##e] = k,
	JG_EVENT_ATTRS(JG_X_KIND)
#undef JG_X_KIND
};

const char *
jg_flow_end_name(unsigned int reason)
{
	static const char *const names[] = {
		[JG_FLOW_END_IDLE] = "idle",       [JG_FLOW_END_ACTIVE] = "active",
		[JG_FLOW_END_CLOSED] = "closed",   [JG_FLOW_END_EVICTED] = "evicted",
		[JG_FLOW_END_FLUSH] = "end-of-input",
	};
	if (reason >= sizeof(names) / sizeof(names[0]) || names[reason] == NULL)
		return "unknown";
	return names[reason];
}

const char *
jg_dp_state_name(unsigned int state)
{
	static const char *const names[] = {
		[JG_DP_STARTING] = "starting", [JG_DP_RUNNING] = "running",
		[JG_DP_FLUSHING] = "flushing", [JG_DP_DRAINED] = "drained",
		[JG_DP_STOPPED] = "stopped",
	};
	if (state >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[state];
}

const char *const jg_action_names[3] = { "allow", "alert", "block" };
