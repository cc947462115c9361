/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ipt-diag.h"

#include <stdarg.h>

void
ipt_diag_init(struct ipt_diag *diag, bool skip_unsupported)
{
    diag->skip_unsupported = skip_unsupported;
    ds_init(&diag->errors);
    ds_init(&diag->skipped);
    diag->n_errors = 0;
    diag->n_skipped = 0;
}

void
ipt_diag_destroy(struct ipt_diag *diag)
{
    if (diag) {
        ds_destroy(&diag->errors);
        ds_destroy(&diag->skipped);
    }
}

static void
ipt_diag_put__(struct ds *out, const char *prefix, const char *file_name,
               int line, const char *format, va_list args)
{
    if (line > 0) {
        ds_put_format(out, "%s:%d: %s", file_name, line, prefix);
    } else {
        ds_put_format(out, "%s: %s", file_name, prefix);
    }
    ds_put_format_valist(out, format, args);
    ds_put_char(out, '\n');
}

/* Records an error at 'line' of 'file_name' (a 'line' of 0 names the file
 * only). */
void
ipt_diag_error(struct ipt_diag *diag, const char *file_name, int line,
               const char *format, ...)
{
    va_list args;

    va_start(args, format);
    ipt_diag_put__(&diag->errors, "", file_name, line, format, args);
    va_end(args);
    diag->n_errors++;
}

/* Records that the construct described by 'format' at 'line' of 'file_name'
 * is not supported.  Returns true if the caller should leave the enclosing
 * rule out and carry on (the construct is then listed as skipped), false if
 * it was recorded as an error. */
bool
ipt_diag_unsupported(struct ipt_diag *diag, const char *file_name, int line,
                     const char *format, ...)
{
    va_list args;

    va_start(args, format);
    if (diag->skip_unsupported) {
        ipt_diag_put__(&diag->skipped, "skipped: ", file_name, line, format,
                       args);
        diag->n_skipped++;
    } else {
        ipt_diag_put__(&diag->errors, "", file_name, line, format, args);
        diag->n_errors++;
    }
    va_end(args);
    return diag->skip_unsupported;
}
