/*
 * test_templates.c: the shipped templates (conf/mail) load, the locale
 * picks its template with the documented fallbacks, and a directory with
 * a bad or missing template is refused naming the file.
 */
#include "ac-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "mailer/templates.h"

static void
write_file(const char *dir, const char *name, const char *text)
{
	char	path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void
unlink_file(const char *dir, const char *name)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

int
main(void)
{
	struct template_set		 set;
	const struct mail_template	*t;
	const char			*src = getenv("AR_SRCDIR");
	char				 dir[512], err[600], tmp[] = "/tmp/ar-tpl-XXXXXX";

	snprintf(dir, sizeof(dir), "%s/conf/mail", src ? src : ".");
	if (!ok(templates_load(&set, dir, 1, 1, err, sizeof(err)) == 0 &&
	    set.count == 6, "conf/mail loads: en and de of each kind"))
		diag("%s", err);
	t = templates_pick(&set, "de-at", 0);
	ok(t != NULL && strncmp(t->subject, "Passwort", 8) == 0,
	    "de-at picks de.txt (its language)");
	ok(t != NULL && t->html != NULL && (t->html_uses & MAILMSG_USES_CODE),
	    "...with de.html, which shows the code");
	t = templates_pick(&set, "fr", 0);
	ok(t != NULL && strcmp(t->subject, "Reset your password") == 0,
	    "fr falls back to en.txt");
	t = templates_pick(&set, "", 0);
	ok(t != NULL && strcmp(t->subject, "Reset your password") == 0,
	    "no locale is en.txt");
	t = templates_pick(&set, "de", TEMPLATE_UNKNOWN);
	ok(t != NULL && !(t->uses & MAILMSG_USES_CODE) &&
	    strncmp(t->subject, "Zur", 3) == 0,
	    "the notice to an unknown address for de is de.unknown.txt");
	t = templates_pick(&set, "fr", TEMPLATE_UNKNOWN);
	ok(t != NULL && strcmp(t->subject, "Password reset requested") == 0,
	    "...and for fr falls back to en.unknown.txt");
	t = templates_pick(&set, "de-ch", TEMPLATE_CHANGED);
	ok(t != NULL && !(t->uses & MAILMSG_USES_SECRET) &&
	    (t->uses & MAILMSG_USES_NETWORK) &&
	    strncmp(t->subject, "Ihr Passwort", 12) == 0,
	    "the notice after a reset for de-ch is de.changed.txt, no code");
	ok(t != NULL && t->html != NULL && !(t->html_uses & MAILMSG_USES_SECRET),
	    "...with its HTML alternative, no code either");
	t = templates_pick(&set, "xx", TEMPLATE_CHANGED);
	ok(t != NULL && strcmp(t->subject, "Your password was changed") == 0,
	    "...and for an unknown locale en.changed.txt");
	templates_free(&set);

	ok(templates_load(&set, "/nonexistent-dir", 0, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "mail_template_dir") != NULL,
	    "a missing directory is refused naming the key");
	if (mkdtemp(tmp) == NULL)
		return done_testing();
	write_file(tmp, "de.txt", "Subject: x\n\n{{code}}\n");
	ok(templates_load(&set, tmp, 0, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "en.txt") != NULL, "a directory without en.txt is refused");
	write_file(tmp, "en.txt", "Subject: x\n\n{{code}}\n");
	ok(templates_load(&set, tmp, 1, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "en.unknown.txt") != NULL,
	    "notices without en.unknown.txt are refused");
	write_file(tmp, "en.unknown.txt", "Subject: x\n\nyour code {{code}}\n");
	ok(templates_load(&set, tmp, 1, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "en.unknown.txt") != NULL,
	    "a notice that shows a code is refused, naming the file");
	write_file(tmp, "en.unknown.txt", "Subject: x\n\nno account\n");
	write_file(tmp, "fr.txt", "Subject: x\n\nno code here\n");
	ok(templates_load(&set, tmp, 1, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "fr.txt") != NULL && strstr(err, "{{code}}") != NULL,
	    "a reset mail without {{code}} is refused, naming the file");
	write_file(tmp, "fr.txt", "Subject: x\n\n{{code}} {{secret}}\n");
	ok(templates_load(&set, tmp, 1, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "fr.txt") != NULL, "an unknown placeholder is refused");
	write_file(tmp, "fr.txt", "Subject: x\n\n{{code}}\n");
	write_file(tmp, "README", "not a template\n");
	write_file(tmp, "en.txt~", "editor backup\n");
	ok(templates_load(&set, tmp, 1, 0, err, sizeof(err)) == 0 && set.count == 4,
	    "other files are ignored; the rest loads");
	templates_free(&set);
	ok(templates_load(&set, tmp, 1, 1, err, sizeof(err)) == -1 &&
	    strstr(err, "en.changed.txt") != NULL,
	    "the notice after a reset without en.changed.txt is refused");
	write_file(tmp, "en.changed.txt", "Subject: x\n\n{{reset_link}}\n");
	ok(templates_load(&set, tmp, 1, 1, err, sizeof(err)) == -1 &&
	    strstr(err, "en.changed.txt") != NULL,
	    "a notice after a reset that shows a link with a code is refused");
	write_file(tmp, "en.changed.txt", "Subject: x\n\n{{time_utc}} "
	    "{{time_local}} {{network}} {{support_url}} {{forgot_url}}\n");
	write_file(tmp, "fr.txt", "Subject: x\n\n{{code}} {{network}}\n");
	ok(templates_load(&set, tmp, 1, 1, err, sizeof(err)) == -1 &&
	    strstr(err, "fr.txt") != NULL && strstr(err, "network") != NULL,
	    "the network in a reset mail is refused");
	write_file(tmp, "fr.txt", "Subject: x\n\n{{code}}\n");
	ok(templates_load(&set, tmp, 1, 1, err, sizeof(err)) == 0 &&
	    set.count == 5, "with en.changed.txt the set loads");
	templates_free(&set);
	write_file(tmp, "fr.html", "<p>no code</p>\n");
	ok(templates_load(&set, tmp, 1, 1, err, sizeof(err)) == -1 &&
	    strstr(err, "fr.html") != NULL, "a reset mail's HTML without the code "
	    "is refused");
	write_file(tmp, "fr.html", "<p>{{code}}</p>\n");
	write_file(tmp, "it.html", "<p>{{code}}</p>\n");
	ok(templates_load(&set, tmp, 1, 1, err, sizeof(err)) == -1 &&
	    strstr(err, "it.html") != NULL, "an HTML file without its .txt is "
	    "refused");
	unlink_file(tmp, "it.html");
	ok(templates_load(&set, tmp, 1, 1, err, sizeof(err)) == 0,
	    "fr.html goes with fr.txt");
	templates_free(&set);
	{
		char	cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			diag("could not remove %s", tmp);
	}
	return done_testing();
}
