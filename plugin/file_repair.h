/* file_repair.h
 * Cutting a stream file back to its last complete record.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_FILE_REPAIR_H
#define FLOWSPLIT_FILE_REPAIR_H

#include <glib.h>

typedef enum {
    REPAIR_INTACT,      /* ends on a record boundary: unchanged */
    REPAIR_TRUNCATED,   /* an incomplete tail was cut off */
    REPAIR_REMOVED,     /* not even the file header was complete: removed */
    REPAIR_FAILED       /* could not be read or cut: errno says why */
} repair_result;

/* Makes name (inside dir_fd, a pcap or pcapng file flowsplit wrote) a valid
 * capture again after a failed write: everything up to the last complete
 * record is kept, the rest cut off. Never follows a symlink. */
repair_result file_repair(int dir_fd, const char *name);

#endif /* FLOWSPLIT_FILE_REPAIR_H */
