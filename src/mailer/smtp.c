/*
 * smtp.c: SMTP through libcurl (see smtp.h).  One easy handle is kept,
 * so that consecutive messages reuse the relay's connection.
 */
#include "ac-config.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "base/email.h"
#include "base/secure.h"
#include "mailer/credentials.h"
#include "mailer/smtp.h"

#define CREDENTIALS_MAX	4096

struct smtp {
	CURL		*curl;
	char		 url[CONFIG_STR_MAX];
	char		 from[CONFIG_STR_MAX + 2];	/* <addr> */
	char		 ca_file[CONFIG_STR_MAX];
	int		 require_tls, implicit_tls;
	long		 connect_timeout, timeout;
	long		 setup_us;	/* of the last send; see smtp.h */
	char		*user, *password;
};

/* The message being uploaded. */
struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
read_upload(char *buf, size_t size, size_t n, void *arg)
{
	struct upload	*u = arg;
	size_t		 take = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->p, take);
	u->p += take;
	u->left -= take;
	return take;
}

/* True when the URL's authority (after "://", up to the path) has a
 * userinfo part ("user:pass@"): plain string work, so that the URL is
 * never echoed in an error, whatever else is wrong with it. */
static int
url_has_userinfo(const char *url)
{
	const char	*p = strstr(url, "://");
	size_t		 n;

	if (p == NULL)
		return strchr(url, '@') != NULL;
	p += 3;
	n = strcspn(p, "/?#");
	return memchr(p, '@', n) != NULL;
}

int
smtp_url_is_loopback(const char *url)
{
	CURLU		*u;
	char		*scheme = NULL, *host = NULL;
	struct in_addr	 a4;
	int		 rc = -1;

	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if (strcasecmp(scheme, "smtp") != 0 && strcasecmp(scheme, "smtps") != 0)
		goto out;
	rc = strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    (inet_pton(AF_INET, host, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127);
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* Reads "user = NAME" and "password = SECRET" from path, which must be
 * private to its owner.  0, or -1 with what is wrong in err. */
static int
read_credentials(struct smtp *s, const char *path, char *err, size_t errlen)
{
	char		 text[CREDENTIALS_MAX + 1];
	struct stat	 st;
	ssize_t		 r;
	size_t		 len = 0;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "key 'smtp_credentials_file': %s: %s",
		    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key 'smtp_credentials_file': %s: not a "
		    "regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "key 'smtp_credentials_file': %s: its "
		    "group or others may read it (mode %04o); refusing it "
		    "(chmod 0600)", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (len < CREDENTIALS_MAX &&
	    (r = read(fd, text + len, CREDENTIALS_MAX - len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "key 'smtp_credentials_file': "
			    "%s: %s", path, strerror(errno));
			goto out;
		}
		len += (size_t)r;
	}
	text[len] = '\0';
	switch (credentials_parse(text, len, &s->user, &s->password)) {
	case CREDENTIALS_OK:
		rc = 0;
		break;
	case CREDENTIALS_NUL:
		snprintf(err, errlen, "key 'smtp_credentials_file': %s: a NUL "
		    "byte", path);
		break;
	case CREDENTIALS_MISSING:
		snprintf(err, errlen, "key 'smtp_credentials_file': %s: needs "
		    "a \"user = \" and a \"password = \" line", path);
		break;
	case CREDENTIALS_NOMEM:
		snprintf(err, errlen, "key 'smtp_credentials_file': %s: out of "
		    "memory", path);
		break;
	case CREDENTIALS_SYNTAX:
		/* Never the line itself: it may be the password. */
		snprintf(err, errlen, "key 'smtp_credentials_file': %s: "
		    "expected \"user = NAME\" and \"password = SECRET\" "
		    "lines, once each", path);
		break;
	}
out:
	OPENSSL_cleanse(text, sizeof(text));
	close(fd);
	return rc;
}

struct smtp *
smtp_new(const struct config *cfg, char *err, size_t errlen)
{
	struct smtp	*s;
	int		 loop;

	/* The URL is logged at start and in errors: a password in it
	 * would reach the log.  The credentials file is the place. */
	if (url_has_userinfo(cfg->smtp_url)) {
		snprintf(err, errlen, "key 'smtp_url': has a user or password "
		    "in it (\"user:password@\"); refusing it: put them in "
		    "smtp_credentials_file (a file of mode 0600)");
		return NULL;
	}
	if ((loop = smtp_url_is_loopback(cfg->smtp_url)) == -1) {
		snprintf(err, errlen, "key 'smtp_url': %s: expected "
		    "smtp://HOST[:PORT] or smtps://HOST[:PORT]", cfg->smtp_url);
		return NULL;
	}
	if (!cfg->smtp_require_tls && !loop) {
		snprintf(err, errlen, "key 'smtp_require_tls': off is allowed "
		    "only for a relay on loopback, not %s", cfg->smtp_url);
		return NULL;
	}
	if (cfg->mail_from[0] == '\0' ||
	    !email_valid(cfg->mail_from, strlen(cfg->mail_from))) {
		snprintf(err, errlen, "key 'mail_from': %s", cfg->mail_from[0] ?
		    "not a plain address (local@domain)" : "not set");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->url, sizeof(s->url), "%s", cfg->smtp_url);
	snprintf(s->from, sizeof(s->from), "<%s>", cfg->mail_from);
	snprintf(s->ca_file, sizeof(s->ca_file), "%s", cfg->smtp_ca_file);
	s->require_tls = cfg->smtp_require_tls;
	s->implicit_tls = strncasecmp(cfg->smtp_url, "smtps:", 6) == 0;
	s->connect_timeout = cfg->smtp_connect_timeout;
	s->timeout = cfg->smtp_timeout;
	if (cfg->smtp_credentials_file[0] != '\0' &&
	    read_credentials(s, cfg->smtp_credentials_file, err, errlen) == -1)
		goto fail;
	if ((s->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		goto fail;
	}
	return s;
fail:
	smtp_free(s);
	return NULL;
}

void
smtp_free(struct smtp *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	if (s->user != NULL)
		secure_free(s->user, strlen(s->user));
	if (s->password != NULL)
		secure_free(s->password, strlen(s->password));
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

/* The options of one transfer on the kept handle. */
static void
set_options(struct smtp *s, struct curl_slist *rcpts, struct upload *up,
    char *errbuf)
{
	CURL	*c = s->curl;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->connect_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, s->timeout);
	/* smtp_require_tls on: STARTTLS or nothing.  Off (a loopback relay
	 * only): plain text, even when the relay offers STARTTLS, unless
	 * smtp_ca_file names the CA to verify it with; then STARTTLS when
	 * offered, verified.  (Trying TLS against a certificate nobody can
	 * verify, say Debian's snakeoil, would fail every message.)
	 * smtps:// is TLS from the start anyway. */
	if (!s->implicit_tls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, s->require_tls ?
		    (long)CURLUSESSL_ALL : s->ca_file[0] != '\0' ?
		    (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (s->user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password);
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, s->from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
	curl_easy_setopt(c, CURLOPT_READDATA, up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up->left);
}

/* 1 when cc says TLS could not be set up: no STARTTLS offered while it
 * is required, a handshake that failed, a certificate not verified. */
static int
tls_failure(CURLcode cc)
{
	switch (cc) {
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return 1;
	default:
		return 0;
	}
}

/* A new connection's handshake is counted apart: the mailer pads rows
 * that send nothing to the cost of a send, and a send on an open
 * connection is what such a row stands in for (delivery.c). */
static void
note_setup(struct smtp *s)
{
	curl_off_t	 pre = 0;
	long		 nconn = 0;

	s->setup_us = 0;
	if (curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &nconn) ==
	    CURLE_OK && nconn > 0 && curl_easy_getinfo(s->curl,
	    CURLINFO_PRETRANSFER_TIME_T, &pre) == CURLE_OK && pre > 0)
		s->setup_us = (long)pre;
}

long
smtp_setup_us(const struct smtp *s)
{
	return s->setup_us;
}

enum smtp_outcome
smtp_send(struct smtp *s, const char *rcpt, const char *msg, size_t len,
    long *status, char *err, size_t errlen)
{
	struct curl_slist	*rcpts = NULL;
	struct upload		 up = { msg, len };
	char			 errbuf[CURL_ERROR_SIZE], addr[CONFIG_STR_MAX + 8];
	CURLcode		 cc;
	long			 code = 0;

	*status = 0;
	errbuf[0] = '\0';
	if (!email_valid(rcpt, strlen(rcpt)) || strlen(rcpt) + 3 > sizeof(addr)) {
		snprintf(err, errlen, "the recipient is not a plain address");
		return SMTP_PERMANENT;
	}
	snprintf(addr, sizeof(addr), "<%s>", rcpt);
	if ((rcpts = curl_slist_append(NULL, addr)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return SMTP_TRANSIENT;
	}
	set_options(s, rcpts, &up, errbuf);
	cc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	note_setup(s);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	OPENSSL_cleanse(addr, sizeof(addr));
	*status = code;
	if (cc == CURLE_OK) {
		snprintf(err, errlen, "accepted");
		return SMTP_SENT;
	}
	snprintf(err, errlen, "%s%s%s", curl_easy_strerror(cc),
	    errbuf[0] ? ": " : "", errbuf);
	/* The last reply was the relay's 220 to STARTTLS (or none): the
	 * failure is ours or the certificate's, not an SMTP status. */
	if (tls_failure(cc)) {
		*status = 0;
		return SMTP_TLS_FAILED;
	}
	/* A 5xx is the relay's last word on this message, but not a
	 * refused login: that is our configuration, and worth a retry
	 * once it is fixed. */
	if (code >= 500 && code <= 599 && cc != CURLE_LOGIN_DENIED)
		return SMTP_PERMANENT;
	return SMTP_TRANSIENT;
}

void
smtp_prepare(const struct smtp *s)
{
	struct addrinfo	 hints, *ai = NULL;
	CURLU		*u;
	char		*host = NULL;
	size_t		 n;

	if ((u = curl_url()) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, s->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		n = strlen(host);
		if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
			memmove(host, host + 1, n - 2);
			host[n - 2] = '\0';
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, "25", &hints, &ai) == 0)
			freeaddrinfo(ai);
	}
	curl_free(host);
	curl_url_cleanup(u);
}
