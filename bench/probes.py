"""Measuring inside Odoo: a fresh environment per measured run, and the queries
and time of each call of a model method.

    with fresh_env(registry) as env, query_probe(Model, "_store_batch", calls):
        ...  # calls: [(records or last argument size, queries, seconds), ...]
"""

import contextlib
import gc
import time


@contextlib.contextmanager
def fresh_env(registry):
    """A new cursor and environment, as the scheduler gives each job run; garbage
    from earlier runs is collected first so that every run starts alike."""
    import odoo

    gc.collect()
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


@contextlib.contextmanager
def query_probe(model_class, method_name, calls):
    """Append ``(records or last argument size, queries, seconds)`` to ``calls`` for
    each call of ``model_class.method_name`` (the registry class, so every caller
    goes through it); outer calls only."""
    import odoo.sql_db

    had_own = method_name in vars(model_class)
    original = getattr(model_class, method_name)
    depth = [0]

    def probe(self, *args, **kwargs):
        if depth[0]:
            return original(self, *args, **kwargs)
        depth[0] += 1
        queries, started = odoo.sql_db.sql_counter, time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            depth[0] -= 1
            size = len(args[-1]) if args and hasattr(args[-1], "__len__") else len(self)
            calls.append(
                (
                    size,
                    odoo.sql_db.sql_counter - queries,
                    time.perf_counter() - started,
                )
            )

    setattr(model_class, method_name, probe)
    try:
        yield calls
    finally:
        if had_own:
            setattr(model_class, method_name, original)
        else:
            delattr(model_class, method_name)
