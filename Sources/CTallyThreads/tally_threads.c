#define _GNU_SOURCE
#include <pthread.h>
#include "tally_threads.h"

int tally_thread_set_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

int tally_thread_get_name(char *buffer, size_t size) {
    return pthread_getname_np(pthread_self(), buffer, size);
}
