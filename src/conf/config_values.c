/*
 * config_values.c: the parsers of the configuration's structured values
 * (config_values.h): database hosts, origins, header names, the webhook
 * URL, plain text.  Pure functions: no I/O.
 */
#include "ac-config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "conf/config_values.h"
#include "base/number.h"

/* Printable ASCII without the JSON-special '"' and '\\': the value is
 * echoed in answers and stored in the database as it is. */
int
config_valid_text(const char *s)
{
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return -1;
	return 0;
}

/* webhook_url: https://, or http:// only to a loopback host (127.0.0.0/8,
 * localhost, [::1]); no fragment, no space.  NULL, or what is wrong. */
const char *
config_check_webhook_url(const char *url)
{
	static const char *const loopback[] = { "127.", "localhost", "[::1]" };
	const char	*host;
	size_t		 i, n;

	if (*url == '\0')
		return NULL;	/* empty: no webhooks */
	if (strlen(url) >= CONFIG_STR_MAX)
		return "too long";
	if (config_valid_text(url) == -1 || strpbrk(url, " #") != NULL)
		return "must be a URL of printable ASCII, no spaces or fragment";
	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0' && url[8] != '/' ? NULL :
		    "must name a host";
	if (strncmp(url, "http://", 7) != 0)
		return "must be an https:// URL";
	host = url + 7;
	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
		n = strlen(loopback[i]);
		if (strncmp(host, loopback[i], n) != 0)
			continue;
		if (i == 0)	/* 127.x.y.z: then digits and dots */
			n += strspn(host + n, "0123456789.");
		if (host[n] == '\0' || host[n] == ':' || host[n] == '/')
			return NULL;
	}
	return "must be https:// (plain http:// only to a loopback address)";
}

/* An HTTP header name as its CGI variable: X-Forwarded-For becomes
 * HTTP_X_FORWARDED_FOR.  NULL, or what is wrong. */
const char *
config_header_to_cgi(const char *name, char *out, size_t outlen)
{
	size_t	i, n = strlen(name);

	if (n == 0 || n + 6 > outlen)
		return "must be an HTTP header name";
	memcpy(out, "HTTP_", 5);
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '-')
			return "must be an HTTP header name (letters, digits, -)";
		out[5 + i] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	}
	out[5 + n] = '\0';
	return NULL;
}

/* One db_hosts entry: "/path" (a Unix socket), "host", "host:port" or
 * "[v6-address]:port"; host names are letters, digits, '.', '-', '_'.
 * NULL, or what is wrong. */
static const char *
parse_db_host(const char *s, size_t len, struct db_host *h)
{
	const char	*host = s, *colon = NULL;
	size_t		 hlen = len, i;
	long long	 port = 3306;
	char		 num[8];

	if (len == 0 || len >= sizeof(h->name))
		return "an entry is empty or too long";
	if (s[0] == '/') {
		memcpy(h->name, s, len);
		h->name[len] = '\0';
		h->port = 0;
		return NULL;
	}
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL || close == s + 1)
			return "an IPv6 address needs [address]:port";
		host = s + 1;
		hlen = (size_t)(close - host);
		for (i = 0; i < hlen; i++)
			if (!isxdigit((unsigned char)host[i]) && host[i] != ':' &&
			    host[i] != '.')
				return "not an IPv6 address in [ ]";
		if (close + 1 < s + len) {
			if (close[1] != ':')
				return "after [address] comes :port";
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', len);
		hlen = colon ? (size_t)(colon - s) : len;
		for (i = 0; i < hlen; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
			    s[i] != '-' && s[i] != '_')
				return "a host is a name or address (IPv6 in [ ]), "
				    "then an optional :port";
		if (hlen == 0)
			return "an entry has no host";
	}
	if (colon != NULL) {
		size_t plen = (size_t)(s + len - colon - 1);

		if (plen == 0 || plen >= sizeof(num))
			return "a port is a number from 1 to 65535";
		memcpy(num, colon + 1, plen);
		num[plen] = '\0';
		if (number_parse(num, 1, 65535, &port) == -1)
			return "a port is a number from 1 to 65535";
	}
	memcpy(h->name, host, hlen);
	h->name[hlen] = '\0';
	h->port = (unsigned)port;
	return NULL;
}

/* db_hosts: entries separated by commas and/or spaces, at most
 * DB_HOSTS_MAX.  NULL, or what is wrong. */
const char *
config_parse_db_hosts(const char *value, struct db_hosts *hosts)
{
	const char	*p = value, *why;
	size_t		 n;

	memset(hosts, 0, sizeof(*hosts));
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		if (hosts->n == DB_HOSTS_MAX)
			return "too many hosts (at most 8)";
		if ((why = parse_db_host(p, n, &hosts->host[hosts->n])) != NULL)
			return why;
		hosts->n++;
		p += n;
	}
	if (hosts->n == 0)
		return "names no host";
	return NULL;
}

/*
 * cors_origins: exact origins (scheme://host[:port], lower case, no path),
 * separated by spaces or commas, stored one space apart.  "*" and "null"
 * are refused: an allow-list names the sites it trusts.
 */
const char *
config_parse_origins(const char *value, char *out, size_t outlen)
{
	const char	*p = value, *host;
	size_t		 n, used = 0, i;
	int		 colon;

	out[0] = '\0';
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return NULL;
		n = strcspn(p, " \t,");
		if ((n == 1 && *p == '*') || (n == 4 && memcmp(p, "null", 4) == 0))
			return "lists exact origins such as https://app.example; "
			    "\"*\" and \"null\" are not allowed";
		if (n > 8 && memcmp(p, "https://", 8) == 0)
			host = p + 8;
		else if (n > 7 && memcmp(p, "http://", 7) == 0)
			host = p + 7;
		else
			return "each origin must start with http:// or https://";
		colon = 0;
		for (i = (size_t)(host - p); i < n; i++) {
			if (p[i] == ':' && !colon)
				colon = 1;
			else if (colon ? !(p[i] >= '0' && p[i] <= '9') :
			    !((p[i] >= 'a' && p[i] <= 'z') ||
			    (p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
			    p[i] == '-'))
				return "each origin is scheme://host[:port] in "
				    "lower case, without a path or a slash";
		}
		if (p[n - 1] == ':')
			return "an origin's port is empty";
		if (*host == ':')
			return "an origin names no host";
		if (used + n + 2 > outlen)
			return "too long";
		if (used > 0)
			out[used++] = ' ';
		memcpy(out + used, p, n);
		used += n;
		out[used] = '\0';
		p += n;
	}
}

