/*
 * templates.h: the mail templates of a directory (mail_template_dir),
 * loaded and checked all at once at start and on reload, so that a bad
 * template stops the mailer at start rather than a mail later, and so
 * that no file is opened per mail.
 *
 *   LOCALE.txt          the reset mail (must show {{code}})
 *   LOCALE.unknown.txt  the notice to an address without an account (no
 *                       {{code}}, no {{reset_link}})
 *   LOCALE.changed.txt  the "your password was changed" notice (no
 *                       {{code}}, no {{reset_link}}; {{time_utc}},
 *                       {{time_local}}, {{network}}, {{support_url}},
 *                       {{forgot_url}})
 *
 * Each may have an HTML alternative, the same name with .html for .txt
 * (no subject line; the same placeholders, HTML-escaped; the reset mail's
 * must show {{code}} too): the mail is then multipart/alternative.
 *
 * en.txt must exist (the fallback), en.unknown.txt when notices to
 * unknown addresses are sent, en.changed.txt when the notice after a
 * reset is.  Only the notice after a reset may show the time and the
 * network.  Other files (README, editor backups) are ignored.
 */
#ifndef AR_TEMPLATES_H
#define AR_TEMPLATES_H

#include <stddef.h>

#include "mailer/mailmsg.h"
#include "base/locale.h"

#define TEMPLATES_MAX	64

enum template_kind {
	TEMPLATE_RESET = 0,	/* LOCALE.txt */
	TEMPLATE_UNKNOWN = 1,	/* LOCALE.unknown.txt */
	TEMPLATE_CHANGED = 2,	/* LOCALE.changed.txt */
	TEMPLATE_KINDS
};

struct template_entry {
	char			locale[LOCALE_TAG_MAX + 1];	/* lower case */
	int			kind;		/* enum template_kind */
	struct mail_template	t;
};

struct template_set {
	struct template_entry	entries[TEMPLATES_MAX];
	size_t			count;
};

/* Loads every template of dir into set (zeroed first).  With
 * need_unknown, en.unknown.txt must be there; with need_changed,
 * en.changed.txt.  0, or -1 with what is wrong (naming the file) in err;
 * nothing is kept then. */
int templates_load(struct template_set *set, const char *dir,
    int need_unknown, int need_changed, char *err, size_t errlen);

/* The template for a locale: the exact tag, then its language, then en;
 * NULL only for a set that templates_load did not fill. */
const struct mail_template *templates_pick(const struct template_set *set,
    const char *locale, int kind);

void templates_free(struct template_set *set);

#endif
