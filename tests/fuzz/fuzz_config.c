/*
 * fuzz_config.c: the configuration parser (config.h), fed the file's text.
 *
 * What it must keep whatever the text: a verdict that does not depend on
 * the size of the error buffer; an error message that is terminated
 * within that buffer and names a line; and on success a configuration in
 * which every key is within its documented range and every text value is
 * printable ASCII without quotes.  A configuration it accepts, written
 * out again as "key = value" lines, must parse back to the same values.
 */
#include "ac-config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "conf/config.h"
#include "fuzz.h"
#include "password/pbkdf2.h"

#define ERR_MAX		512
#define ERR_TINY	12	/* shorter than any message: always cut */

/* Printable ASCII without '"' and '\\', 1 .. CONFIG_STR_MAX - 1 chars. */
static int
is_clean_text(const char *s)
{
	size_t	n = strnlen(s, CONFIG_STR_MAX);

	if (n == 0 || n == CONFIG_STR_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

/* "HTTP_" and the header name in upper case, '-' made '_'. */
static int
is_cgi_header(const char *s)
{
	size_t	n = strnlen(s, CONFIG_STR_MAX);

	if (n <= 5 || n == CONFIG_STR_MAX || strncmp(s, "HTTP_", 5) != 0)
		return 0;
	for (s += 5; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return 0;
	return 1;
}

/* Every key in the range conf/account-reset.conf.example gives it. */
static void
check_ranges(const struct config *c)
{
	FUZZ_CHECK(c->pbkdf2_iterations >= 1000 &&
	    c->pbkdf2_iterations <= 100000000, "pbkdf2_iterations in range");
	FUZZ_CHECK(c->pbkdf2_engine == PBKDF2_ENGINE_OPENSSL ||
	    (c->pbkdf2_engine == PBKDF2_ENGINE_FAST && pbkdf2_fast_available()),
	    "pbkdf2_engine is one that is built in");
	FUZZ_CHECK(c->access_token_lifetime >= 60 &&
	    c->access_token_lifetime <= 31536000, "access_token_lifetime in range");
	FUZZ_CHECK(c->refresh_token_lifetime >= 60 &&
	    c->refresh_token_lifetime <= 31536000, "refresh_token_lifetime in range");
	FUZZ_CHECK(c->refresh_token_lifetime >= c->access_token_lifetime,
	    "a refresh token outlives its access token");
	FUZZ_CHECK(c->code_lifetime >= 60 && c->code_lifetime <= 604800,
	    "code_lifetime in range");
	FUZZ_CHECK(c->max_body_bytes >= 256 && c->max_body_bytes <= 1048576,
	    "max_body_bytes in range");
	FUZZ_CHECK(c->retry_after >= 1 && c->retry_after <= 3600,
	    "retry_after in range");
	FUZZ_CHECK(c->db_connect_timeout >= 1 && c->db_connect_timeout <= 3600,
	    "db_connect_timeout in range");
	FUZZ_CHECK(c->db_read_timeout >= 1 && c->db_read_timeout <= 3600,
	    "db_read_timeout in range");
	FUZZ_CHECK(c->db_write_timeout >= 1 && c->db_write_timeout <= 3600,
	    "db_write_timeout in range");
	FUZZ_CHECK(c->db_retries >= 0 && c->db_retries <= 10,
	    "db_retries in range");
	FUZZ_CHECK(is_clean_text(c->client_id), "client_id is clean text");
	FUZZ_CHECK(is_clean_text(c->scope), "scope is clean text");
	FUZZ_CHECK(is_clean_text(c->mysql_option_group),
	    "mysql_option_group is clean text");
	FUZZ_CHECK(is_clean_text(c->mysql_option_file) &&
	    c->mysql_option_file[0] == '/', "mysql_option_file is an absolute path");
	FUZZ_CHECK(c->attempt_limit >= 0 && c->attempt_limit <= 1000000,
	    "attempt_limit in range");
	FUZZ_CHECK(c->attempt_window >= 10 && c->attempt_window <= 86400,
	    "attempt_window in range");
	FUZZ_CHECK(c->seccomp == 0 || c->seccomp == 1, "seccomp is on or off");
	FUZZ_CHECK(is_cgi_header(c->proxy_header),
	    "proxy_header is a CGI variable name");
	FUZZ_CHECK(c->trusted_proxies.count <= CLIENT_MAX_PROXIES &&
	    (c->trusted_proxies.unix_peers == 0 ||
	    c->trusted_proxies.unix_peers == 1),
	    "at most CLIENT_MAX_PROXIES trusted proxies");
}

/* The trusted proxies as "ADDR/BITS ..." and the proxy header as the
 * header name it came from: the config file's spelling of them. */
static int
write_network(const struct config *c, char *buf, size_t size)
{
	const struct cidr	*net;
	char			 addr[INET6_ADDRSTRLEN];
	size_t			 i, len = 0;
	int			 n;

	n = snprintf(buf, size, "proxy_header = ");
	for (i = 5; n > 0 && c->proxy_header[i] != '\0' && (size_t)n + 2 < size; i++)
		buf[n++] = c->proxy_header[i] == '_' ? '-' : c->proxy_header[i];
	if (n <= 0 || (size_t)n + 2 >= size)
		return -1;
	buf[n++] = '\n';
	len = (size_t)n;
	if (c->trusted_proxies.count == 0 && !c->trusted_proxies.unix_peers)
		return (int)len;
	n = snprintf(buf + len, size - len, "trusted_proxies =%s",
	    c->trusted_proxies.unix_peers ? " unix" : "");
	if (n < 0 || (size_t)n >= size - len)
		return -1;
	len += (size_t)n;
	for (i = 0; i < c->trusted_proxies.count; i++) {
		net = &c->trusted_proxies.net[i];
		if (inet_ntop(net->family, net->addr, addr, sizeof(addr)) == NULL)
			return -1;
		n = snprintf(buf + len, size - len, " %s/%u", addr, net->bits);
		if (n < 0 || (size_t)n >= size - len)
			return -1;
		len += (size_t)n;
	}
	if (len + 1 >= size)
		return -1;
	buf[len++] = '\n';
	return (int)len;
}

/* c as a configuration file, every key spelled out; the length or 0. */
static size_t
write_out(const struct config *c, char *buf, size_t size)
{
	int	n, m;

	n = snprintf(buf, size,
	    "pbkdf2_iterations = %lu\n"
	    "pbkdf2_engine = %s\n"
	    "access_token_lifetime = %ld\n"
	    "refresh_token_lifetime = %ld\n"
	    "code_lifetime = %ld\n"
	    "client_id = %s\n"
	    "scope = %s\n"
	    "max_body_bytes = %zu\n"
	    "retry_after = %ld\n"
	    "mysql_option_file = %s\n"
	    "mysql_option_group = %s\n"
	    "db_connect_timeout = %ld\n"
	    "db_read_timeout = %ld\n"
	    "db_write_timeout = %ld\n"
	    "db_retries = %d\n"
	    "attempt_limit = %d\n"
	    "attempt_window = %ld\n"
	    "seccomp = %s\n",
	    c->pbkdf2_iterations, pbkdf2_engine_name(c->pbkdf2_engine),
	    c->access_token_lifetime, c->refresh_token_lifetime,
	    c->code_lifetime, c->client_id, c->scope, c->max_body_bytes,
	    c->retry_after, c->mysql_option_file, c->mysql_option_group,
	    c->db_connect_timeout, c->db_read_timeout, c->db_write_timeout,
	    c->db_retries, c->attempt_limit, c->attempt_window,
	    c->seccomp ? "on" : "off");
	if (n <= 0 || (size_t)n >= size)
		return 0;
	m = write_network(c, buf + n, size - (size_t)n);
	return m > 0 ? (size_t)n + (size_t)m : 0;
}

static void
check_same(const struct config *a, const struct config *b)
{
	size_t	i;

	FUZZ_CHECK(a->pbkdf2_iterations == b->pbkdf2_iterations &&
	    a->pbkdf2_engine == b->pbkdf2_engine &&
	    a->access_token_lifetime == b->access_token_lifetime &&
	    a->refresh_token_lifetime == b->refresh_token_lifetime &&
	    a->code_lifetime == b->code_lifetime &&
	    a->max_body_bytes == b->max_body_bytes &&
	    a->retry_after == b->retry_after &&
	    a->db_connect_timeout == b->db_connect_timeout &&
	    a->db_read_timeout == b->db_read_timeout &&
	    a->db_write_timeout == b->db_write_timeout &&
	    a->db_retries == b->db_retries &&
	    a->attempt_limit == b->attempt_limit &&
	    a->attempt_window == b->attempt_window &&
	    a->seccomp == b->seccomp, "numbers survive a round trip");
	FUZZ_CHECK(strcmp(a->proxy_header, b->proxy_header) == 0,
	    "proxy_header survives a round trip");
	FUZZ_CHECK(a->trusted_proxies.count == b->trusted_proxies.count &&
	    a->trusted_proxies.unix_peers == b->trusted_proxies.unix_peers,
	    "as many trusted proxies after a round trip");
	for (i = 0; i < a->trusted_proxies.count; i++)
		FUZZ_CHECK(a->trusted_proxies.net[i].family ==
		    b->trusted_proxies.net[i].family &&
		    a->trusted_proxies.net[i].bits ==
		    b->trusted_proxies.net[i].bits &&
		    memcmp(a->trusted_proxies.net[i].addr,
		    b->trusted_proxies.net[i].addr, 16) == 0,
		    "each trusted proxy survives a round trip");
	FUZZ_CHECK(strcmp(a->client_id, b->client_id) == 0 &&
	    strcmp(a->scope, b->scope) == 0 &&
	    strcmp(a->mysql_option_file, b->mysql_option_file) == 0 &&
	    strcmp(a->mysql_option_group, b->mysql_option_group) == 0,
	    "text values survive a round trip");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 text[32 * CONFIG_STR_MAX];
	struct config		 cfg, tiny, again;
	char			 err[ERR_MAX], small[ERR_TINY];
	char			*copy;
	size_t			 len;
	int			 rc;

	/* The parser is told the length; give it exactly those bytes so
	 * ASan sees any read past them. */
	config_defaults(&cfg);
	memset(err, 0x55, sizeof(err));
	rc = config_parse((const char *)data, size, &cfg, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "config_parse returns 0 or -1");

	config_defaults(&tiny);
	memset(small, 0x55, sizeof(small));
	FUZZ_CHECK(config_parse((const char *)data, size, &tiny, small,
	    sizeof(small)) == rc, "the verdict does not depend on errlen");
	if (rc == -1) {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL &&
		    memchr(small, '\0', sizeof(small)) != NULL,
		    "the error message is terminated within its buffer");
		FUZZ_CHECK(err[0] != '\0', "a refusal says why");
		FUZZ_CHECK(strncmp(err, "line ", 5) == 0 ||
		    strstr(err, "refresh_token_lifetime") != NULL,
		    "a refusal names the line (or the keys in conflict)");
		FUZZ_CHECK(strncmp(err, small, sizeof(small) - 1) == 0,
		    "a cut message is the start of the whole one");
	}

	/* A final newline adds nothing. */
	if ((copy = malloc(size + 1)) != NULL) {
		if (size > 0)
			memcpy(copy, data, size);
		copy[size] = '\n';
		config_defaults(&again);
		FUZZ_CHECK(config_parse(copy, size + 1, &again, small,
		    sizeof(small)) == rc, "a final newline changes no verdict");
		if (rc == 0)
			check_same(&cfg, &again);
		free(copy);
	}

	if (rc == -1)
		return 0;
	check_ranges(&cfg);
	len = write_out(&cfg, text, sizeof(text));
	FUZZ_CHECK(len > 0, "an accepted configuration can be written out");
	config_defaults(&again);
	FUZZ_CHECK(config_parse(text, len, &again, err, sizeof(err)) == 0,
	    "an accepted configuration, written out, is accepted again");
	check_same(&cfg, &again);
	return 0;
}
