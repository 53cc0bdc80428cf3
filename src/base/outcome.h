/*
 * outcome.h: what a request came to.  Every check returns an api_error
 * (API_OK when it passed); response.c owns the one table that turns an
 * api_error into an HTTP status, an error code and a description.
 */
#ifndef AR_OUTCOME_H
#define AR_OUTCOME_H

enum api_error {
	API_OK = 0,
	API_INVALID_REQUEST,		/* 400 invalid_request */
	API_INVALID_PASSWORD,		/* 400 invalid_password (+ violations) */
	API_INVALID_CODE,		/* 400 invalid_validation_code */
	API_METHOD_NOT_ALLOWED,		/* 405 method_not_allowed, Allow: POST */
	API_PAYLOAD_TOO_LARGE,		/* 413 payload_too_large */
	API_UNSUPPORTED_MEDIA_TYPE,	/* 415 unsupported_media_type */
	API_LENGTH_REQUIRED,		/* 411 length_required */
	API_TOO_MANY_REQUESTS,		/* 429 too_many_requests, Retry-After */
	API_SERVER_ERROR,		/* 500 server_error, details in the log */
	API_UNAVAILABLE,		/* 503 temporarily_unavailable, Retry-After */
	API_INVALID_EMAIL,		/* 400 invalid_email (recover) */
	API_NOT_FOUND,			/* 404 not_found: no endpoint at that path */
	API_GET_ONLY,			/* 405 method_not_allowed, Allow: GET, HEAD */
	API_TOKEN_MISSING,		/* 401 unauthorized, WWW-Authenticate: Bearer */
	API_INVALID_TOKEN,		/* 401 invalid_token (RFC 6750 3.1) */
	API_INVALID_GRANT,		/* 400 invalid_grant (RFC 6749 5.2) */
	API_UNSUPPORTED_GRANT_TYPE,	/* 400 unsupported_grant_type */
	API_INVALID_CLIENT,		/* 401 invalid_client, WWW-Authenticate: Basic */
	API_ERROR_COUNT
};

/* A refusal: the error, an optional more precise description that replaces
 * the table's (a static string, never user data), for
 * API_INVALID_PASSWORD the bit set of rules that failed (rules.h), and for
 * API_TOO_MANY_REQUESTS the seconds until the client may try again. */
struct outcome {
	enum api_error	 error;
	const char	*detail;
	unsigned	 violations;
	long		 retry_after;
};

#endif
