"""Persistence: a SQLite file by default, any SQLAlchemy URL (PostgreSQL) by ``--db``."""

from medtrust.store._review_rows import FLAGS, ROLES, Review, ReviewUser, Role
from medtrust.store._reviews import current_only
from medtrust.store._store import Store, default_db_url

__all__ = [
    "FLAGS",
    "ROLES",
    "Review",
    "ReviewUser",
    "Role",
    "Store",
    "current_only",
    "default_db_url",
]
