/*
 * db_connect.c: opening the connection (db-internal.h, db.h): to each
 * host of db_hosts in turn from the current one (or the option file's),
 * with the session's lock wait below the read timeout and the schema's
 * version checked; and what the sandbox needs to know of it beforehand.
 */
#include "ac-config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include <mysql.h>

/* From mysql/client_plugin.h, which MariaDB Connector/C 3.3 installs
 * unusable (it includes a header it does not install). */
#ifndef MYSQL_CLIENT_AUTHENTICATION_PLUGIN
#define MYSQL_CLIENT_AUTHENTICATION_PLUGIN	2
#endif

#include "base/metrics.h"
#include "db/db-internal.h"

/* One connection attempt to the current host (or, without db_hosts, to
 * the option file's), with the session set up.  DB_OK or as fail(). */
static enum db_result
connect_one(struct db *db)
{
	const struct config	*cfg = db->cfg;
	const struct db_host	*h = NULL;
	const char		*host = NULL, *sock = NULL;
	unsigned int		 ct, rt, wt, port = 0;
	unsigned		 e;
	char			 msg[200];

	db->schema_refused = 0;	/* until this connection's check says */
	if ((db->conn = mysql_init(NULL)) == NULL)
		return dbi_fail(db, 0, "mysql_init", "out of memory");
	ct = (unsigned int)cfg->db_connect_timeout;
	rt = (unsigned int)cfg->db_read_timeout;
	wt = (unsigned int)cfg->db_write_timeout;
	mysql_options(db->conn, MYSQL_READ_DEFAULT_FILE, cfg->mysql_option_file);
	mysql_options(db->conn, MYSQL_READ_DEFAULT_GROUP,
	    cfg->mysql_option_group);
	mysql_options(db->conn, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(db->conn, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(db->conn, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_options(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (cfg->db_hosts.n > 0) {
		h = &cfg->db_hosts.host[db->host];
		if (h->port == 0) {
			host = "localhost";
			sock = h->name;
		} else {
			host = h->name;
			port = h->port;
		}
	}
	if (mysql_real_connect(db->conn, host, NULL, NULL, NULL, port, sock,
	    0) == NULL) {
		e = mysql_errno(db->conn);
		snprintf(msg, sizeof(msg), "%s%s%s", mysql_error(db->conn),
		    h ? " on " : "", h ? h->name : "");
		mysql_close(db->conn);
		db->conn = NULL;
		return dbi_fail(db, e, "connect", msg);
	}
	/* Counted when a connection is opened again after one was lost or
	 * moved (not the first). */
	if (db->was_connected)
		metrics_db_reconnect();
	db->was_connected = 1;
	/* A lock wait must end as a retryable error (1205) well before the
	 * client's read timeout would cut the connection. */
	snprintf(msg, sizeof(msg), "SET SESSION innodb_lock_wait_timeout = %ld",
	    cfg->db_read_timeout / 2 > 0 ? cfg->db_read_timeout / 2 : 1);
	if (mysql_real_query(db->conn, msg, strlen(msg)) != 0) {
		e = mysql_errno(db->conn);
		snprintf(msg, sizeof(msg), "%s", mysql_error(db->conn));
		dbi_disconnect(db);	/* not the session we need */
		return dbi_fail(db, e, "connect", msg);
	}
	/* A schema this build does not know: no statement runs on it. */
	if (db->check_schema && dbi_schema_check(db) != DB_OK) {
		e = db->last_errno;
		dbi_disconnect(db);
		return e != 0 ? DB_UNAVAILABLE : DB_ERROR;
	}
	return DB_OK;
}

/* Connects unless connected: to each host in turn from the current one,
 * until one accepts (a host that is up is kept until it fails). */
enum db_result
dbi_connect(struct db *db)
{
	enum db_result	rc;
	int		tries;

	if (db->conn != NULL)
		return DB_OK;
	tries = db->cfg->db_hosts.n > 1 ? db->cfg->db_hosts.n : 1;
	while ((rc = connect_one(db)) == DB_UNAVAILABLE && --tries > 0)
		if (db->cfg->db_hosts.n > 1)
			db->host = (db->host + 1) % db->cfg->db_hosts.n;
	db->connect_failed = rc != DB_OK;	/* every host was tried */
	return rc;
}

int
db_unix_only(const struct db *db)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 i;
	my_socket		 fd;

	if (db->cfg->db_hosts.n > 0) {
		for (i = 0; i < db->cfg->db_hosts.n; i++)
			if (db->cfg->db_hosts.host[i].name[0] != '/')
				return 0;
		return 1;
	}
	if (db->conn == NULL || (fd = mysql_get_socket(db->conn)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	return ss.ss_family == AF_UNIX;
}

void
db_preload_plugins(void)
{
	static const char *const names[] = {
		"caching_sha2_password", "sha256_password", "client_ed25519",
		"dialog", "mysql_clear_password",
	};
	MYSQL	*m;
	size_t	 i;

	if ((m = mysql_init(NULL)) == NULL)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mysql_client_find_plugin(m, names[i],
		    MYSQL_CLIENT_AUTHENTICATION_PLUGIN) == NULL)
			(void)mysql_load_plugin(m, names[i],
			    MYSQL_CLIENT_AUTHENTICATION_PLUGIN, 0);
	mysql_close(m);
}
