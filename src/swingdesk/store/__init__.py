"""Persistence: SQLAlchemy 2 tables, the Store, the audit chain and Alembic migrations."""
