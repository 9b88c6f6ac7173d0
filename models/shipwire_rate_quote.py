from psycopg2.extras import Json

from odoo import api, fields, models

# Namespace of the advisory locks taken per quote key.
RATE_LOCK = 0x535752  # "SWR"
# How long a failed quote stands, whatever the account's lifetime.
FAILED_QUOTE_SECONDS = 10


class ShipwireRateQuote(models.Model):
    """Shipwire's whole answer to one rate request, kept for the account's quote
    lifetime and shared by every worker: the delivery methods of one checkout
    page, and its renders, cost one ``POST /rate``. Only the module writes it."""

    _name = "shipwire.rate.quote"
    _description = "Shipwire shipping quote"
    _log_access = False
    _order = "fetched_at desc"

    key = fields.Char(
        required=True,
        readonly=True,
        help="The account, the normalised address, the SKUs and quantities, the "
        "currency and the ship date, hashed.",
    )
    backend_id = fields.Many2one(
        "shipwire.backend",
        string="Account",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    state = fields.Selection(
        [("quoted", "Quoted"), ("refused", "Refused"), ("failed", "Failed")],
        required=True,
        readonly=True,
    )
    answer = fields.Json(readonly=True)
    fetched_at = fields.Datetime(required=True, readonly=True, index=True)

    _sql_constraints = [
        ("key_unique", "UNIQUE(key)", "One quote is kept per rate request."),
    ]

    @api.model
    def _answer(self, backend, key, ask):
        """``(state, answer)`` kept under ``key`` for ``backend``; ``ask()``
        gives them from Shipwire when none stands.

        A quote or a refusal stands for the account's lifetime, a failure for
        FAILED_QUOTE_SECONDS only: the callers that waited for it, and the page's
        other methods, get it without waiting another timeout, and a recovered
        Shipwire is asked again soon after.

        A standing answer is one indexed read in the caller's transaction,
        without lock or write. Otherwise callers of one key take turns on a lock
        held in a transaction of its own, which ends as soon as the answer is
        kept: parallel callers wait for the first answer instead of asking
        again, and not for the rest of its caller's request. The answer is read
        again and kept in another transaction: one committed while this caller
        waited for the lock is newer than the lock's snapshot, and a caller whose
        request ends in an error (the wizard's "no price") still leaves its
        answer to the others."""
        self.flush_model()
        standing = self._standing(self.env.cr, backend, key)
        if standing is not None:
            return standing
        registry = self.env.registry
        with registry.cursor() as lock_cr, registry.cursor() as cr:
            lock_cr.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [RATE_LOCK, int(key[:7], 16)]
            )
            standing = self._standing(cr, backend, key)
            if standing is not None:
                return standing
            state, answer = ask()
            cr.execute(
                """
                INSERT INTO shipwire_rate_quote
                       (key, backend_id, state, answer, fetched_at)
                VALUES (%s, %s, %s, %s, clock_timestamp() AT TIME ZONE 'UTC')
                ON CONFLICT (key) DO UPDATE
                   SET state = EXCLUDED.state,
                       answer = EXCLUDED.answer,
                       fetched_at = EXCLUDED.fetched_at
                """,
                [key, backend.id, state, Json(answer)],
            )
        return state, answer

    @api.model
    def _standing(self, cr, backend, key):
        cr.execute(
            """
            SELECT state, answer
              FROM shipwire_rate_quote
             WHERE key = %(key)s
               AND fetched_at > clock_timestamp() AT TIME ZONE 'UTC' - make_interval(
                       secs => CASE WHEN state = 'failed' THEN %(failed)s
                                    ELSE %(minutes)s * 60 END)
            """,
            {
                "key": key,
                "failed": FAILED_QUOTE_SECONDS,
                "minutes": backend.rate_cache_minutes,
            },
        )
        row = cr.fetchone()
        return tuple(row) if row else None
