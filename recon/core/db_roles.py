"""The application's PostgreSQL role: it reads and writes rows, and owns nothing.

Tables belong to the role that runs migrations (the owner). Only an owner (or a superuser) may TRUNCATE without the
privilege, ALTER a table, disable or drop its triggers, or drop it; so the role the web and the workers run as can do
none of these to the audit trail, on which it may only SELECT and INSERT.
"""
from __future__ import annotations

from django.db import connection
from psycopg2 import sql

from recon.core.errors import UserFacingError
from recon.core.models import AuditEvent

ROW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def _one(cursor, query, params=()):
    cursor.execute(query, params)
    row = cursor.fetchone()
    return row[0] if row else None


def app_role_grant(*, role: str, password: str | None = None) -> list[str]:
    """Give ROLE exactly the rights the application needs on this database (creating it with PASSWORD if missing)."""
    if connection.vendor != "postgresql":
        raise UserFacingError("not_postgresql", "database roles exist only on PostgreSQL")
    audit_table = AuditEvent._meta.db_table
    done: list[str] = []
    with connection.cursor() as cursor:
        owner = _one(cursor, "SELECT current_user")
        if role == owner:
            raise UserFacingError("role_is_owner", f"{role} is the role this command runs as (the owner): name the application's role")
        exists = _one(cursor, "SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        if exists is None:
            if not password:
                raise UserFacingError("no_such_role", f"role {role} does not exist (give its password to create it)")
            if not _one(cursor, "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"):
                raise UserFacingError("cannot_create_role", f"{owner} may not create roles: create {role} as an administrator "
                                                            f"(CREATE ROLE {role} LOGIN PASSWORD …), then run this again")
            cursor.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
            done.append(f"created role {role}")
        elif exists:
            raise UserFacingError("role_is_superuser", f"{role} is a superuser: it can do anything whatever it is granted")
        owned = _one(cursor, "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                             "WHERE r.rolname = %s AND c.relnamespace = current_schema()::regnamespace "
                             "AND c.relkind IN ('r', 'p', 'S', 'v', 'm')", [role])
        if owned:
            raise UserFacingError("role_owns_tables", f"{role} owns {owned} tables or sequences here: it could alter or truncate them; "
                                                      "let the owner hold them (ALTER TABLE … OWNER TO) and run this again")
        r, schema = sql.Identifier(role), sql.Identifier(_one(cursor, "SELECT current_schema()"))
        database = sql.Identifier(connection.settings_dict["NAME"])
        statements = [
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, r),  # the imports stage rows in temp tables
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, r),
            # From a clean slate, so that a right given by hand earlier (TRUNCATE, TRIGGER …) does not survive.
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, r),
            sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema, r),
            sql.SQL("GRANT " + ROW_PRIVILEGES + " ON ALL TABLES IN SCHEMA {} TO {}").format(schema, r),
            sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(audit_table), r),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, r),
            # Tables that later migrations create get the same rights without running this again.
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT " + ROW_PRIVILEGES + " ON TABLES TO {}").format(
                sql.Identifier(owner), schema, r),
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
                sql.Identifier(owner), schema, r),
        ]
        for statement in statements:
            cursor.execute(statement)
            done.append(statement.as_string(cursor.cursor))
    return done
