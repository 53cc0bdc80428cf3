/*
 * site.js: what a site changes for its deployment (README, "The pages").
 *
 *   api            where the endpoints are (same origin by default; another
 *                  origin needs cors_origins in account-reset.conf)
 *   afterResetUrl  the site's page that takes the token over after a reset:
 *                  a path or a URL of this same origin; "" shows a plain
 *                  success message instead.  The token waits for it in
 *                  sessionStorage under "account-reset.token".
 */
window.AR_SITE = {
	api: "/api/v2/account/",
	afterResetUrl: ""
};
