/*
 * fuzz_blocklist.c: the compact-file loader and the search (blocklist.h)
 * on bytes libFuzzer makes up, and the text-list reader on the same bytes.
 *
 * As a compact file: blocklist_check_compact and blocklist_from_compact
 * must agree; a file they accept holds exactly (size - 64) / 8 strictly
 * ascending entries, and every one of them is found.  With the order
 * trusted (as a CGI process loads it), any file whose header and size are
 * right loads, and lookups of every stored value and of values around
 * them end and read nothing outside the file (ASan would stop the run).
 * As a text list: every line that blocklist_entry_useful keeps is found
 * afterwards, in any case the fold makes equal.
 */
#include "ac-config.h"

#include <string.h>

#include "password/blocklist.h"
#include "fuzz.h"

static uint64_t
le64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
as_compact(const uint8_t *data, size_t size)
{
	struct blocklist	*bl;
	char			 err[256];
	uint64_t		 count = 0, i, v;
	int			 checked, loaded;

	checked = blocklist_check_compact(data, size, 1, &count, err,
	    sizeof(err)) == 0;
	loaded = blocklist_from_compact(data, size, 1, &bl, err,
	    sizeof(err)) == 0;
	FUZZ_CHECK(checked == loaded, "the check and the loader agree");
	if (loaded) {
		FUZZ_CHECK(size == BLOCKLIST_HEADER_SIZE + 8 * count,
		    "an accepted file is its header and count entries");
		for (i = 0; i < count; i++) {
			v = le64(data + BLOCKLIST_HEADER_SIZE + 8 * i);
			if (i > 0)
				FUZZ_CHECK(v > le64(data + BLOCKLIST_HEADER_SIZE +
				    8 * (i - 1)), "accepted entries ascend");
			FUZZ_CHECK(blocklist_contains_fingerprint(bl, v) == 1,
			    "every entry of an accepted file is found");
		}
		blocklist_free(bl);
	} else
		FUZZ_CHECK(err[0] != '\0', "a refusal says why");

	/* Order trusted: only the header and the size are checked. */
	if (blocklist_from_compact(data, size, 0, &bl, err, sizeof(err)) == 0) {
		FUZZ_CHECK(blocklist_check_compact(data, size, 0, &count, err,
		    sizeof(err)) == 0, "trusted loading checks the header");
		for (i = 0; i < count && i < 64; i++) {
			v = le64(data + BLOCKLIST_HEADER_SIZE + 8 * i);
			(void)blocklist_contains_fingerprint(bl, v);
			(void)blocklist_contains_fingerprint(bl, v + 1);
			(void)blocklist_contains_fingerprint(bl, v - 1);
		}
		(void)blocklist_contains_fingerprint(bl, 0);
		(void)blocklist_contains_fingerprint(bl, UINT64_MAX);
		(void)blocklist_contains(bl, (const char *)data,
		    size < 64 ? size : 64);
		blocklist_free(bl);
	}
}

static void
as_text(const uint8_t *data, size_t size)
{
	struct blocklist	*bl;
	const char		*p = (const char *)data, *end = p + size, *nl;
	char			 err[256];
	size_t			 len;

	if (blocklist_from_text(p, size, &bl, err, sizeof(err)) == -1)
		return;		/* out of memory only */
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (blocklist_entry_useful(p, len))
			FUZZ_CHECK(blocklist_contains(bl, p, len) == 1,
			    "every useful line of a text list is found");
	}
	blocklist_free(bl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_compact(data, size);
	as_text(data, size);
	return 0;
}
