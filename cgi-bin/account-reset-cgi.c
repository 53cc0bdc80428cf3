/*
 * account-reset.cgi: the shared-hosting fallback, for a web server's
 * ScriptAlias.  It serves exactly one CGI request and takes no options
 * (a CGI query string may reach argv), so nothing from the request can
 * change how it runs.  Its configuration is $ACCOUNT_RESET_CONFIG (set it
 * with SetEnv) or SYSCONFDIR/account-reset/account-reset.conf.
 */
#include "ac-config.h"

#include "password/blocklist.h"
#include "conf/config.h"
#include "base/log.h"
#include "password/policy.h"
#include "base/secure.h"
#include "server/cgi.h"

int
main(void)
{
	struct config	cfg;
	char		err[512];
	const char	*path;
	int		 rc;

	log_init("account-reset.cgi");
	secure_stdio();
	secure_process();
	path = config_choose_path(NULL);
	if (config_load(path, &cfg, err, sizeof(err)) == -1) {
		log_msg("configuration: %s", err);
		cgi_refuse_unconfigured();
		return 1;
	}
	if (log_open_file(cfg.log_file, err, sizeof(err)) == -1) {
		log_msg("configuration: %s: %s", path, err);
		cgi_refuse_unconfigured();
		return 1;
	}
	/* One request: a compact file is mapped, not read through. */
	if (policy_load(cfg.password_blocklist, BLOCKLIST_TRUST_ORDER, err, sizeof(err)) == -1) {
		log_msg("configuration: %s: %s", path, err);
		cgi_refuse_unconfigured();
		return 1;
	}
	rc = cgi_serve(&cfg);
	policy_unload();
	return rc;
}
