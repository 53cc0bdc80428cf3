/*
 * fuzz_email.c: the address syntax (email.h).  Whatever the bytes, an
 * accepted address keeps every promise of email.h: within the limits, one
 * '@', valid UTF-8, no byte that could end a header line or an SMTP
 * command (CR, LF, NUL, any control, space), nothing quoted or bracketed.
 */
#include "ac-config.h"

#include <stdint.h>
#include <string.h>

#include "base/email.h"
#include "fuzz.h"
#include "password/rules.h"
#include "base/utf8.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data, *at;
	size_t		 i;
	int		 ok, ascii;

	ok = email_valid(s, size);
	FUZZ_CHECK(ok == 0 || ok == 1, "a yes or a no");
	if (!ok)
		return 0;
	FUZZ_CHECK(size <= EMAIL_MAX_OCTETS, "at most 254 octets");
	FUZZ_CHECK(utf8_validate(s, size, NULL) == 0, "valid UTF-8");
	at = memchr(s, '@', size);
	FUZZ_CHECK(at != NULL && memchr(at + 1, '@', size -
	    (size_t)(at - s) - 1) == NULL, "exactly one @");
	FUZZ_CHECK(at - s >= 1 && at - s <= EMAIL_LOCAL_MAX_OCTETS,
	    "a local part of 1..64 octets");
	FUZZ_CHECK(memchr(at + 1, '.', size - (size_t)(at - s) - 1) != NULL,
	    "a domain with a dot");
	for (i = 0; i < size; i++) {
		FUZZ_CHECK(data[i] > 0x20 && data[i] != 0x7f,
		    "no control character or space");
		FUZZ_CHECK(memchr("\"()<>[]\\,;:", data[i], 11) == NULL,
		    "nothing quoted, bracketed or listed");
	}
	for (i = 0, ascii = 1; i < size; i++)
		if (data[i] >= 0x80)
			ascii = 0;
	FUZZ_CHECK(email_is_ascii(s, size) == ascii, "ASCII is told right");
	return 0;
}
