/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * `jumpgate fleet`'s graph: alert JSON lines of many sensors joined into paths
 * between hosts and chains across them (fleet.c), apart from reading Redis so
 * that it can be fuzzed.
 */
#ifndef JG_FLEET_H
#define JG_FLEET_H

#include <stdio.h>

struct jg_fleet;

/** An empty graph. @return it, or NULL (no memory) */
struct jg_fleet *jg_fleet_new(void);

/** Free a graph (NULL: nothing). */
void jg_fleet_free(struct jg_fleet *f);

/** Join one alert line (Jumpgate's JSON; anything else is ignored). */
void jg_fleet_line(struct jg_fleet *f, const char *json_line);

/** Print the graph: 0 the paths and the chains, 1 Graphviz DOT, 2 JSON. */
void jg_fleet_render(struct jg_fleet *f, int format, FILE *out);

/** The command: `jumpgate fleet --redis HOST:PORT ...`. @return the exit status */
int jg_fleet_main(int argc, char **argv);

#endif
