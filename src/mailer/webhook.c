/*
 * webhook.c: webhooks through libcurl (see webhook.h).  One easy handle
 * is kept, so that consecutive deliveries reuse the connection.
 */
#include "ac-config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mailer/webhook.h"

#define SECRET_FILE_MAX	1024

struct webhook {
	CURL		*curl;
	char		 url[CONFIG_STR_MAX];
	char		 ca_file[CONFIG_STR_MAX];	/* "": the system's */
	long		 timeout;
	unsigned char	 key[WEBHOOK_KEY_MAX];
	size_t		 keylen;
};

long
webhook_parse_secret(const char *text, unsigned char *key, size_t keylen)
{
	unsigned char	 raw[WEBHOOK_KEY_MAX * 2 + 3];
	const char	*p = text, *e;
	size_t		 n;
	int		 len;

	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "whsec_", 6) != 0)
		return -1;
	p += 6;
	for (e = p; *e != '\0' && !isspace((unsigned char)*e); e++)
		;
	n = (size_t)(e - p);
	while (isspace((unsigned char)*e))
		e++;
	if (*e != '\0' || n == 0 || n % 4 != 0 || n / 4 * 3 > sizeof(raw) ||
	    strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") < n)
		return -1;
	if ((len = EVP_DecodeBlock(raw, (const unsigned char *)p, (int)n)) < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding's zero bytes. */
	if (n >= 1 && p[n - 1] == '=')
		len--;
	if (n >= 2 && p[n - 2] == '=')
		len--;
	if (len < 16 || (size_t)len > keylen) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return -1;	/* under 128 bits is no secret */
	}
	memcpy(key, raw, (size_t)len);
	OPENSSL_cleanse(raw, sizeof(raw));
	return len;
}

int
webhook_sign(const unsigned char *key, size_t keylen, const char *id,
    long long timestamp, const char *body, size_t bodylen, char *out)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	unsigned char	*msg;
	char		 head[128];
	int		 n, ok;

	n = snprintf(head, sizeof(head), "%s.%lld.", id, timestamp);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    (msg = malloc((size_t)n + bodylen + 1)) == NULL)
		return -1;
	memcpy(msg, head, (size_t)n);
	memcpy(msg + n, body, bodylen);
	ok = HMAC(EVP_sha256(), key, (int)keylen, msg, (size_t)n + bodylen,
	    mac, &maclen) != NULL && maclen == 32;
	free(msg);
	if (!ok)
		return -1;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)maclen);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

/* Reads the secret from path, which must be a regular file that its
 * group and others can neither read nor write. */
static int
read_secret(struct webhook *w, const char *path, char *err, size_t errlen)
{
	char		 text[SECRET_FILE_MAX + 1];
	struct stat	 st;
	ssize_t		 r;
	size_t		 len = 0;
	long		 k;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "key 'webhook_secret_file': %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key 'webhook_secret_file': %s: not a "
		    "regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "key 'webhook_secret_file': %s: its group "
		    "or others may read it (mode %04o); refusing it (chmod "
		    "0600)", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (len < SECRET_FILE_MAX &&
	    (r = read(fd, text + len, SECRET_FILE_MAX - len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "key 'webhook_secret_file': %s: %s",
			    path, strerror(errno));
			goto out;
		}
		len += (size_t)r;
	}
	text[len] = '\0';
	if ((k = webhook_parse_secret(text, w->key, sizeof(w->key))) == -1) {
		snprintf(err, errlen, "key 'webhook_secret_file': %s: not a "
		    "secret \"whsec_<base64 of 16 to %d bytes>\"", path,
		    WEBHOOK_KEY_MAX);
		goto out;
	}
	w->keylen = (size_t)k;
	rc = 0;
out:
	OPENSSL_cleanse(text, sizeof(text));
	close(fd);
	return rc;
}

struct webhook *
webhook_new(const struct config *cfg, char *err, size_t errlen)
{
	struct webhook	*w;

	if (cfg->webhook_secret_file[0] == '\0') {
		snprintf(err, errlen, "key 'webhook_secret_file': not set (the "
		    "webhooks' signing secret; webhook_url is set)");
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(w->url, sizeof(w->url), "%s", cfg->webhook_url);
	snprintf(w->ca_file, sizeof(w->ca_file), "%s", cfg->webhook_ca_file);
	w->timeout = cfg->webhook_timeout;
	if (read_secret(w, cfg->webhook_secret_file, err, errlen) == -1) {
		webhook_free(w);
		return NULL;
	}
	if ((w->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		webhook_free(w);
		return NULL;
	}
	return w;
}

void
webhook_free(struct webhook *w)
{
	if (w == NULL)
		return;
	if (w->curl != NULL)
		curl_easy_cleanup(w->curl);
	OPENSSL_cleanse(w, sizeof(*w));
	free(w);
}

/* The answer's body is not kept. */
static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

enum webhook_outcome
webhook_post(struct webhook *w, const char *id, const char *body,
    long *status, char *detail, size_t detaillen)
{
	struct curl_slist	*h = NULL, *nh;
	char			 sig[WEBHOOK_SIGNATURE_MAX + 1];
	char			 line[CONFIG_STR_MAX];
	char			 errbuf[CURL_ERROR_SIZE];
	const char		*lines[4];
	long long		 now = (long long)time(NULL);
	long			 code = 0;
	CURLcode		 cc;
	CURL			*c = w->curl;
	size_t			 i;

	*status = 0;
	errbuf[0] = '\0';
	if (webhook_sign(w->key, w->keylen, id, now, body, strlen(body),
	    sig) == -1) {
		snprintf(detail, detaillen, "signing failed");
		return WEBHOOK_FAILED;
	}
	lines[0] = "Content-Type: application/json";
	lines[1] = "webhook-id: ";
	lines[2] = "webhook-timestamp: ";
	lines[3] = "webhook-signature: ";
	for (i = 0; i < 4; i++) {
		if (i == 0)
			snprintf(line, sizeof(line), "%s", lines[0]);
		else if (i == 1)
			snprintf(line, sizeof(line), "%s%s", lines[1], id);
		else if (i == 2)
			snprintf(line, sizeof(line), "%s%lld", lines[2], now);
		else
			snprintf(line, sizeof(line), "%s%s", lines[3], sig);
		if ((nh = curl_slist_append(h, line)) == NULL) {
			curl_slist_free_all(h);
			snprintf(detail, detaillen, "out of memory");
			return WEBHOOK_FAILED;
		}
		h = nh;
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, w->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, w->timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, w->timeout);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (w->ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, w->ca_file);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	OPENSSL_cleanse(sig, sizeof(sig));
	OPENSSL_cleanse(line, sizeof(line));
	*status = code;
	if (cc == CURLE_OK && code >= 200 && code <= 299) {
		snprintf(detail, detaillen, "delivered");
		return WEBHOOK_DELIVERED;
	}
	if (cc == CURLE_OK)
		snprintf(detail, detaillen, "HTTP %ld", code);
	else
		snprintf(detail, detaillen, "%s%s%s", curl_easy_strerror(cc),
		    errbuf[0] ? ": " : "", errbuf);
	return WEBHOOK_FAILED;
}
