"""Send reads to the read replica (DATABASE_REPLICA_URL), writes and migrations to the primary.

Inside a transaction on the primary (e.g. a service that writes then reads back), Django keeps using the
primary for the objects it fetched there; pages that must see their own write immediately can use
`.using("default")`.
"""

from __future__ import annotations


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        return "replica"

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # same data on both

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == "default"
