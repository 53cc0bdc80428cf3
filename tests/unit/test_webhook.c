/*
 * test_webhook.c: the Standard Webhooks signature (webhook.h) against the
 * specification's own example, and the secret's format.
 */
#include "ac-config.h"

#include <string.h>

#include "../tap.h"
#include "mailer/webhook.h"

int
main(void)
{
	unsigned char	key[WEBHOOK_KEY_MAX];
	char		sig[WEBHOOK_SIGNATURE_MAX + 1];
	const char	*body = "{\"test\": 2432232314}";
	long		n;

	/* The example of the Standard Webhooks specification. */
	n = webhook_parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", key,
	    sizeof(key));
	ok(n == 24, "whsec_ secret decoded (24 bytes)");
	ok(n == 24 && webhook_sign(key, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJek",
	    1614265330, body, strlen(body), sig) == 0 &&
	    strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") == 0,
	    "the specification's example signature");
	ok(n == 24 && webhook_sign(key, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJek",
	    1614265331, body, strlen(body), sig) == 0 &&
	    strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") != 0,
	    "another timestamp, another signature");
	ok(webhook_parse_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key,
	    sizeof(key)) == -1, "a secret without whsec_ is refused");
	ok(webhook_parse_secret("whsec_c2hvcnQ=", key, sizeof(key)) == -1,
	    "a secret under 16 bytes is refused");
	ok(webhook_parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La!aSw", key,
	    sizeof(key)) == -1, "a secret that is not base64 is refused");
	ok(webhook_parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw x", key,
	    sizeof(key)) == -1, "a second word is refused");
	return done_testing();
}
