/*
 * lockdown.c: the one lockdown step (see lockdown.h).
 */
#include "ac-config.h"

#include "db/db.h"
#include "db/db_schema.h"
#include "server/lockdown.h"
#include "base/landlock.h"
#include "base/log.h"
#include "base/sandbox.h"

/* What a worker may still read once it serves: the system's files (the
 * resolver's, TLS certificates, the client library's plugins) and the
 * option file, which a reconnect reads again.  Nothing else: not the
 * web sites, home directories, /tmp or /var (issue 19, point 5). */
static void
restrict_files(const struct config *cfg, int quiet)
{
	const char *const paths[] = { "/etc", "/usr", "/lib", "/lib64",
				    cfg->mysql_option_file };

	switch (landlock_read_only(paths, sizeof(paths) / sizeof(paths[0]))) {
	case LANDLOCK_ON:
		return;
	case LANDLOCK_UNAVAILABLE:
		if (!quiet)
			log_msg("Landlock file rules off: this kernel has no "
			    "Landlock (Linux 5.13 and later)");
		return;
	case LANDLOCK_FAILED:
		log_msg("Landlock file rules refused by the kernel; serving "
		    "with the seccomp filter only");
		return;
	}
}

int
lockdown(struct responder_ctx *ctx, int quiet)
{
	if (db_open(ctx->db) != DB_OK) {
		if (db_schema_refused(ctx->db)) {
			log_msg("not serving: %s", db_last_error(ctx->db));
			return LOCKDOWN_SCHEMA;
		}
		if (!quiet)
				log_msg("database not reachable yet: %s; serving "
			    "anyway, it is tried again on each request",
			    db_last_error(ctx->db));
		db_preload_plugins();
	}
	if (!ctx->cfg->seccomp)
		return 0;
	/* Before the filter, which does not allow Landlock's calls. */
	restrict_files(ctx->cfg, quiet);
	/* A database on a Unix socket: no network socket at all. */
	sandbox_unix_only(db_unix_only(ctx->db));
	switch (sandbox_enter()) {
	case SANDBOX_ON:
		return 0;
	case SANDBOX_UNAVAILABLE:
		if (!quiet)
			log_msg("seccomp filter off: %s",
			    sandbox_unavailable_reason());
		return 0;
	case SANDBOX_FAILED:
		break;
	}
	log_msg("the kernel refused the seccomp filter; not serving "
	    "(set seccomp = off to run without it)");
	return -1;
}
