/* SPDX-License-Identifier: MIT */
/* error.c: status texts, version queries and small string helpers. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"

const char *skc_strerror(int status)
{
    switch (status) {
    case SKC_OK:               return "success";
    case SKC_E_NOMEM:          return "out of memory";
    case SKC_E_INVAL:          return "invalid argument";
    case SKC_E_IO:             return "input/output error";
    case SKC_E_FORMAT:         return "malformed or corrupt input";
    case SKC_E_UNKNOWN_FORMAT: return "unrecognised input format";
    case SKC_E_AMBIGUOUS:      return "ambiguous input format";
    case SKC_E_UNSUPPORTED:    return "not supported";
    case SKC_E_UNSAFE:         return "input names globals that are not on the allowlist";
    case SKC_E_LIMIT:          return "resource limit exceeded";
    case SKC_E_ABI:            return "plugin refused";
    case SKC_E_EXISTS:         return "output exists";
    case SKC_E_NOT_FOUND:      return "not found";
    case SKC_E_MALICIOUS:      return "input names globals that run code";
    case SKC_E_MISMATCH:       return "verification found a difference";
    case SKC_E_INTERNAL:       return "internal error";
    default:                   return "unknown status";
    }
}

const char *skc_version_string(void) { return SKC_VERSION_STRING; }

/* Read once: the environment does not change under a running program. */
int skc_threads(void)
{
    static atomic_int cached;
    int n = atomic_load_explicit(&cached, memory_order_relaxed);

    if (n == 0) {
        const char *e = getenv("SKCONV_THREADS");
        n = e && e[0] == '1' && e[1] == '\0' ? 1 : 2;
        atomic_store_explicit(&cached, n, memory_order_relaxed);
    }
    return n;
}
uint32_t skc_abi_version(void) { return SKC_ABI_VERSION; }

char *skci_strdup(const char *s)
{
    size_t n;
    char *d;

    if (!s)
        return NULL;
    n = strlen(s) + 1;
    d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void skci_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
