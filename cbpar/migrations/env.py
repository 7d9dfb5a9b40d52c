"""Alembic environment: run by `cbpar db ...` with the app's connection, or by `alembic`."""

from alembic import context

from cbpar.models import Base
from cbpar.search_index import include_object

config = context.config


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds the table
        compare_type=True,
        include_object=include_object,  # the search index's own tables are not model drift
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:  # plain `alembic` on the command line: use the app's configured database
    from cbpar import create_app
    from cbpar.migrate import _connection

    app = create_app()
    with app.app_context():
        from cbpar.db import db

        with _connection(db.engine) as conn:
            run_migrations(conn)
            conn.commit()
