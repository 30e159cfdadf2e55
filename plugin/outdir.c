/* outdir.c
 * Prepares the folder a split is written to. Every stream file is later
 * created with openat() relative to the descriptor returned here, with
 * O_EXCL|O_NOFOLLOW, so nothing planted in the folder is followed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "stream_index.h"

/* After "tcp-", "udp-" or "dccp-" (stream_name.h): the end of that prefix. */
static const char *
after_transport_prefix(const char *name)
{
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        const char *prefix = options_transport_name(t);
        size_t len = strlen(prefix);

        if (strncmp(name, prefix, len) == 0 && name[len] == '-')
            return name + len + 1;
    }
    return NULL;
}

/* A group file's name (group=, stream_name.h): "conv-", "host-" or
 * "server-", then only the characters names are made of, ending in one
 * of the formats' extensions (or a pcap file's ".part"); so a user's
 * "host-notes.txt" beside a split is never taken for one. */
static gboolean
is_group_file_name(const char *name)
{
    static const char *const prefixes[] = { "conv-", "host-", "server-" };
    static const char *const extensions[] = { ".pcapng", ".pcap", ".pcap.part" };
    gboolean prefixed = FALSE, extension = FALSE;

    for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++)
        prefixed = prefixed || g_str_has_prefix(name, prefixes[i]);
    for (size_t i = 0; i < G_N_ELEMENTS(extensions); i++)
        extension = extension || g_str_has_suffix(name, extensions[i]);
    if (!prefixed || !extension)
        return FALSE;
    for (const char *c = name; *c != '\0'; c++) {
        if (!g_ascii_isalnum(*c) && *c != '.' && *c != '_' && *c != '-')
            return FALSE;
    }
    return TRUE;
}

gboolean
outdir_is_output_name(const char *name)
{
    const char *p;
    int digits = 0;

    if (strcmp(name, STREAM_INDEX_NAME) == 0 || strcmp(name, STREAM_INDEX_TEMP) == 0
        || strcmp(name, STREAM_INDEX_SHARD_NAME) == 0 || strcmp(name, STREAM_INDEX_SHARD_TEMP) == 0
        || strcmp(name, STREAM_INDEX_COUNTS_NAME) == 0 || strcmp(name, STREAM_INDEX_COUNTS_TEMP) == 0)
        return TRUE;
    if (is_group_file_name(name))
        return TRUE;
    if ((p = after_transport_prefix(name)) == NULL)
        return FALSE;
    for (; g_ascii_isdigit(*p); p++)
        digits++;
    return digits >= 6 && (*p == '_' || *p == '.');
}

/* Lists the split's files in the folder; NULL-terminated, g_strfreev it. */
static char **
list_output_files(int dir_fd, char **error, const char *path)
{
    GPtrArray *names = g_ptr_array_new();
    int fd = dup(dir_fd);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;

    if (dir == NULL) {
        *error = g_strdup_printf("flowsplit: cannot read output folder \"%s\": %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        g_ptr_array_free(names, TRUE);
        return NULL;
    }
    while ((de = readdir(dir)) != NULL) {
        if (outdir_is_output_name(de->d_name))
            g_ptr_array_add(names, g_strdup(de->d_name));
    }
    closedir(dir);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

static gboolean
remove_output_files(int dir_fd, char **names, const char *path, char **error)
{
    for (char **n = names; *n != NULL; n++) {
        if (unlinkat(dir_fd, *n, 0) != 0 && errno != ENOENT) {
            *error = g_strdup_printf("flowsplit: cannot remove \"%s/%s\" of an earlier split: %s",
                                     path, *n, g_strerror(errno));
            return FALSE;
        }
    }
    return TRUE;
}

int
outdir_open(const char *path, gboolean *created, char **error)
{
    struct stat st;
    int dir_fd;

    *created = FALSE;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            *error = g_strdup_printf("flowsplit: output folder \"%s\" exists and is not a folder; "
                                     "choose another out=DIR", path);
            return -1;
        }
    } else if (g_mkdir_with_parents(path, 0777) != 0) {
        *error = g_strdup_printf("flowsplit: cannot create output folder \"%s\": %s; choose another out=DIR",
                                 path, g_strerror(errno));
        return -1;
    } else {
        *created = TRUE;
    }

    dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        *error = g_strdup_printf("flowsplit: cannot open output folder \"%s\": %s; choose another out=DIR",
                                 path, g_strerror(errno));
        return -1;
    }
    if (faccessat(dir_fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        *error = g_strdup_printf("flowsplit: cannot write to output folder \"%s\": %s; choose another out=DIR",
                                 path, g_strerror(errno));
        close(dir_fd);
        return -1;
    }
    return dir_fd;
}

gboolean
outdir_clear(int dir_fd, const char *path, gboolean replace, gboolean remove, char **error)
{
    char **existing = list_output_files(dir_fd, error, path);
    gboolean ok = TRUE;

    if (existing == NULL)
        return FALSE;
    if (existing[0] != NULL && !replace) {
        *error = g_strdup_printf("flowsplit: output folder \"%s\" already holds a split (%s); "
                                 "add -X flowsplit:replace=yes to overwrite it, or choose another out=DIR",
                                 path, existing[0]);
        ok = FALSE;
    } else if (existing[0] != NULL && remove) {
        ok = remove_output_files(dir_fd, existing, path, error);
    }
    g_strfreev(existing);
    return ok;
}

char *
outdir_earlier_split(const char *path)
{
    int dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *error = NULL;
    char **existing;
    char *name = NULL;

    if (dir_fd < 0)
        return NULL;
    existing = list_output_files(dir_fd, &error, path);
    close(dir_fd);
    g_free(error);
    if (existing != NULL && existing[0] != NULL)
        name = g_strdup(existing[0]);
    g_strfreev(existing);
    return name;
}

int
outdir_prepare(const char *path, gboolean replace, char **error)
{
    gboolean created;
    int dir_fd = outdir_open(path, &created, error);

    if (dir_fd >= 0 && !outdir_clear(dir_fd, path, replace, TRUE, error)) {
        close(dir_fd);
        return -1;
    }
    return dir_fd;
}
