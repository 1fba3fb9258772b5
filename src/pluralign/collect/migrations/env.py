"""Alembic's environment for the collection database: migrations run on the connection `store.migrate` hands over."""

from alembic import context

from pluralign.data.collection import Base

context.configure(connection=context.config.attributes["connection"], target_metadata=Base.metadata,
                  render_as_batch=True)  # SQLite alters tables by copying them
with context.begin_transaction():
    context.run_migrations()
