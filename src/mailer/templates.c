/*
 * templates.c: the mail templates of a directory (see templates.h).
 */
#include "ac-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "mailer/templates.h"

#define TEMPLATE_FILE_MAX (MAILMSG_BODY_MAX + MAILMSG_SUBJECT_MAX + 64)

/* Splits a template file name into its locale and kind, and whether it
 * is the HTML alternative (.html) or the template itself (.txt); 0 or
 * -1. */
static int
template_name(const char *name, struct template_entry *e, int *html)
{
	size_t	n = strlen(name), base;

	if (n > 5 && strcmp(name + n - 5, ".html") == 0) {
		*html = 1;
		base = n - 5;
	} else if (n > 4 && strcmp(name + n - 4, ".txt") == 0) {
		*html = 0;
		base = n - 4;
	} else
		return -1;
	e->kind = TEMPLATE_RESET;
	if (base > 8 && strncmp(name + base - 8, ".unknown", 8) == 0) {
		e->kind = TEMPLATE_UNKNOWN;
		base -= 8;
	} else if (base > 8 && strncmp(name + base - 8, ".changed", 8) == 0) {
		e->kind = TEMPLATE_CHANGED;
		base -= 8;
	}
	if (base > LOCALE_TAG_MAX || !locale_tag_valid(name, base))
		return -1;
	memcpy(e->locale, name, base);
	e->locale[base] = '\0';
	for (n = 0; n < base; n++)
		if (e->locale[n] >= 'A' && e->locale[n] <= 'Z')
			e->locale[n] = (char)(e->locale[n] - 'A' + 'a');
	return 0;
}

/* What each kind must and may not show: the reset mail its code; the
 * notices never a code or a link with one; the time and network of a
 * reset only in the notice after it.  0, or -1 with what is wrong. */
static int
template_check(const struct template_entry *e, const char *path, char *err,
    size_t errlen)
{
	unsigned	uses = e->t.uses | e->t.html_uses;

	if (e->kind == TEMPLATE_RESET && (!(e->t.uses & MAILMSG_USES_CODE) ||
	    (e->t.html != NULL && !(e->t.html_uses & MAILMSG_USES_CODE)))) {
		snprintf(err, errlen, "%.300s: the reset mail must show "
		    "{{code}}", path);
		return -1;
	}
	if (e->kind != TEMPLATE_RESET && (uses & MAILMSG_USES_SECRET)) {
		snprintf(err, errlen, "%.300s: a notice has no code and no "
		    "link with one", path);
		return -1;
	}
	if (e->kind != TEMPLATE_CHANGED && (uses & MAILMSG_USES_NOTICE)) {
		snprintf(err, errlen, "%.300s: {{time_utc}}, {{time_local}} "
		    "and {{network}} are for the .changed.txt notice only", path);
		return -1;
	}
	return 0;
}

/* Reads the whole (small) file at path into buf. */
static ssize_t
read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t	r;
	size_t	len = 0;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < size && (r = read(fd, buf + len, size - len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			close(fd);
			return -1;
		}
		len += (size_t)r;
	}
	close(fd);
	return (ssize_t)len;
}

int
templates_load(struct template_set *s, const char *dir, int need_unknown,
    int need_changed, char *err, size_t errlen)
{
	struct template_entry	*e;
	struct dirent		*de;
	DIR			*d;
	char			 path[CONFIG_STR_MAX + 300], msg[200];
	char			*text;
	ssize_t			 len;
	size_t			 i;
	int			 have_en[TEMPLATE_KINDS] = { 0 }, rc = -1;
	int			 html;

	memset(s, 0, sizeof(*s));

	if ((text = malloc(TEMPLATE_FILE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "key 'mail_template_dir': %s: %s", dir,
		    strerror(errno));
		free(text);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (s->count == TEMPLATES_MAX) {
			snprintf(err, errlen, "%.300s: more than %d templates", dir,
			    TEMPLATES_MAX);
			goto out;
		}
		e = &s->entries[s->count];
		if (template_name(de->d_name, e, &html) == -1 || html)
			continue;	/* not a template: README, backups */
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((len = read_small_file(path, text, TEMPLATE_FILE_MAX + 1)) == -1) {
			snprintf(err, errlen, "%.300s: %s", path, strerror(errno));
			goto out;
		}
		if (len > TEMPLATE_FILE_MAX) {
			snprintf(err, errlen, "%.300s: larger than %d bytes", path,
			    TEMPLATE_FILE_MAX);
			goto out;
		}
		if (mailmsg_template_parse(text, (size_t)len, &e->t, msg,
		    sizeof(msg)) == -1) {
			snprintf(err, errlen, "%.300s: %.190s", path, msg);
			goto out;
		}
		if (template_check(e, path, err, errlen) == -1) {
			mailmsg_template_free(&e->t);
			goto out;
		}
		for (i = 0; i < s->count; i++)
			if (strcmp(s->entries[i].locale, e->locale) == 0 &&
			    s->entries[i].kind == e->kind)
				break;
		if (i < s->count) {
			snprintf(err, errlen, "%.300s: a second template for %s",
			    path, e->locale);
			mailmsg_template_free(&e->t);
			goto out;
		}
		if (strcmp(e->locale, "en") == 0)
			have_en[e->kind] = 1;
		s->count++;
	}
	/* Then each HTML alternative, onto its text template. */
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		struct template_entry	want;

		if (de->d_name[0] == '.' ||
		    template_name(de->d_name, &want, &html) == -1 || !html)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		for (i = 0; i < s->count; i++)
			if (strcmp(s->entries[i].locale, want.locale) == 0 &&
			    s->entries[i].kind == want.kind)
				break;
		if (i == s->count) {
			snprintf(err, errlen, "%.300s: an HTML alternative without "
			    "its .txt template (which gives the subject)", path);
			goto out;
		}
		e = &s->entries[i];
		if ((len = read_small_file(path, text, TEMPLATE_FILE_MAX + 1)) == -1) {
			snprintf(err, errlen, "%.300s: %s", path, strerror(errno));
			goto out;
		}
		if (len > TEMPLATE_FILE_MAX ||
		    mailmsg_template_add_html(&e->t, text, (size_t)len, msg,
		    sizeof(msg)) == -1) {
			snprintf(err, errlen, "%.300s: %.190s", path,
			    len > TEMPLATE_FILE_MAX ? "too large" : msg);
			goto out;
		}
		if (template_check(e, path, err, errlen) == -1)
			goto out;
	}
	if (!have_en[TEMPLATE_RESET])
		snprintf(err, errlen, "key 'mail_template_dir': %s has no "
		    "en.txt (the default)", dir);
	else if (need_unknown && !have_en[TEMPLATE_UNKNOWN])
		snprintf(err, errlen, "key 'notify_unknown_recipients': %s has "
		    "no en.unknown.txt", dir);
	else if (need_changed && !have_en[TEMPLATE_CHANGED])
		snprintf(err, errlen, "key 'notify_password_changed': %s has "
		    "no en.changed.txt", dir);
	else
		rc = 0;
out:
	closedir(d);
	free(text);
	if (rc != 0)
		templates_free(s);
	return rc;
}


const struct mail_template *
templates_pick(const struct template_set *s, const char *locale, int kind)
{
	char		lang[LOCALE_TAG_MAX + 1];
	const char	*tries[3];
	size_t		i, k;

	snprintf(lang, sizeof(lang), "%s", locale);
	lang[strcspn(lang, "-")] = '\0';
	tries[0] = locale;
	tries[1] = lang;
	tries[2] = "en";
	for (k = 0; k < 3; k++)
		for (i = 0; i < s->count; i++)
			if (s->entries[i].kind == kind &&
			    strcmp(s->entries[i].locale, tries[k]) == 0)
				return &s->entries[i].t;
	return NULL;
}

void
templates_free(struct template_set *s)
{
	size_t	i;

	for (i = 0; i < s->count; i++)
		mailmsg_template_free(&s->entries[i].t);
	s->count = 0;
}
