#ifndef TALLY_THREADS_H
#define TALLY_THREADS_H

#include <stddef.h>

/* The calling thread's name as the OS keeps it (what top, perf and
   /proc/self/task/TID/comm show). pthread_setname_np and pthread_getname_np are GNU
   extensions: Swift's Glibc module is built without _GNU_SOURCE and does not import them,
   so tally_threads.c defines it and calls them. Each returns 0 or an errno (ERANGE for a
   name over 15 bytes, or a buffer under 16: the Swift side cuts and sizes them first). */
int tally_thread_set_name(const char *name);
int tally_thread_get_name(char *buffer, size_t size);

#endif
