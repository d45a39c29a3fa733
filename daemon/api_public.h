/* api_public.h - what the public routes share with the authenticated ones. */
#ifndef CONSULTD_API_PUBLIC_H
#define CONSULTD_API_PUBLIC_H

#include <stddef.h>

#include "config.h"

/* The address people reach the service at, without a trailing slash:
 * server.public_url, or http://<server.listen> when that is not set. */
void public_base_url(const config *cfg, char *out, size_t len);

#endif
