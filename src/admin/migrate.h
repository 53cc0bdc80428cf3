/*
 * migrate.h: account-reset-admin migrate (docs/UPGRADING.md).
 */
#ifndef AR_ADMIN_MIGRATE_H
#define AR_ADMIN_MIGRATE_H

#include "db/db.h"

/* Brings the database's schema up to this build's version, step by
 * step, saying on stdout what it does; safe to run again.  0 done, 1
 * refused (no account-reset schema, or a newer one), 2 error. */
int admin_migrate(struct db *db);

#endif
