/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FVCTL_JSON_H
#define _FVCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A small streaming JSON writer: objects, arrays, strings, numbers.  A
 * key is given inside objects and NULL inside arrays; the outermost
 * value ends with a newline.  Pretty output indents by two spaces.
 */
struct json {
	FILE *f;
	bool pretty;
	int depth;
	bool first[32];
};

void json_init(struct json *j, FILE *f, bool pretty);
void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_uint(struct json *j, const char *key, uint64_t val);
void json_int(struct json *j, const char *key, int64_t val);
void json_double(struct json *j, const char *key, double val, int decimals);
void json_bool(struct json *j, const char *key, bool val);

#endif
