// What the /dev/fuse session (fuse-session.c) shares with the io_uring transport (fuse-uring.c).
#pragma once
#include "descriptor-io.h"

/* The handles the session answers from their descriptors; NULL before the first, or once stopped. */
handle_table_t *fuse_session_descriptors(const void *session);
