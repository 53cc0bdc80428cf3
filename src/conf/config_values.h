/*
 * config_values.h: the parsers of config.c's structured values, each
 * returning NULL or what is wrong with the value (config_valid_text: 0 or
 * -1).  For config.c alone.
 */
#ifndef AR_CONFIG_VALUES_H
#define AR_CONFIG_VALUES_H

#include <stddef.h>

#include "conf/config.h"

int config_valid_text(const char *s);
const char *config_check_webhook_url(const char *url);
const char *config_header_to_cgi(const char *name, char *out, size_t outlen);
const char *config_parse_db_hosts(const char *value, struct db_hosts *hosts);
const char *config_parse_origins(const char *value, char *out, size_t outlen);

#endif
