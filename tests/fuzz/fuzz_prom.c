// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus label values (common/prom.c): any bytes (a device name)
 * give a value the exposition format accepts: no raw newline, every '"'
 * and '\' escaped, valid UTF-8; and unescaping gives the input back
 * whenever the input was valid UTF-8 (#14.4).
 */
#include <stdio.h>
#include "fuzz.h"
#include "json_print.h"
#include "prom.h"

static bool utf8_valid(const char *s)
{
	size_t n;

	while (*s) {
		n = xgw_utf8_len((const unsigned char *)s);
		if (!n)
			return false;
		s += n;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_str(data, size), *out = NULL, *back;
	size_t olen = 0, i, j = 0;
	FILE *f = open_memstream(&out, &olen);

	fuzz_assert(f, "open_memstream");
	fuzz_assert(!xgw_prom_label(f, in), "write failed");
	fclose(f);
	fuzz_assert(strlen(out) == olen && utf8_valid(out), "not valid UTF-8");
	back = malloc(olen + 1);
	fuzz_assert(back, "malloc");
	for (i = 0; i < olen; i++) {
		fuzz_assert(out[i] != '\n' && out[i] != '"', "raw byte %#x at %zu", out[i], i);
		if (out[i] != '\\') {
			back[j++] = out[i];
			continue;
		}
		i++;
		fuzz_assert(i < olen && (out[i] == '\\' || out[i] == '"' || out[i] == 'n'),
			    "bad escape at %zu", i);
		back[j++] = out[i] == 'n' ? '\n' : out[i];
	}
	back[j] = '\0';
	if (utf8_valid(in))
		fuzz_assert(!strcmp(back, in), "does not read back");
	free(back);
	free(out);
	free(in);
	return 0;
}
