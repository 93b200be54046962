#ifndef SUPPORTBOT_CPCRE2_SHIM_H
#define SUPPORTBOT_CPCRE2_SHIM_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Macros Swift cannot import, re-exported as functions. */
static inline size_t cpcre2_unset(void) { return PCRE2_UNSET; }
static inline size_t cpcre2_zero_terminated(void) { return PCRE2_ZERO_TERMINATED; }

#endif
