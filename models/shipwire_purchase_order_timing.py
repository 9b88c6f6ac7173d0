from odoo import fields, models
from odoo.tools import SQL

from .shipwire_purchase_order import STATES_AT_SHIPWIRE

SHIPPED_STATES = ("partially_shipped", "shipped", "not_delivered")
# Each date, with the states that tell it was reached: a later state implies the
# earlier milestones (a PO approved on sending was sent and approved at once).
MILESTONES = (
    ("sent_date", STATES_AT_SHIPWIRE),
    ("approved_date", ("approved", *SHIPPED_STATES)),
    ("shipped_date", SHIPPED_STATES),
)
# Each duration, from and to which dates.
DURATIONS = (
    ("hours_to_approval", "sent_date", "approved_date"),
    ("hours_to_shipment", "approved_date", "shipped_date"),
)


class ShipwirePurchaseOrderTiming(models.Model):
    """When each PO reached Shipwire, was approved and shipped, and how long that
    took: the measures of the reporting views."""

    # Kept apart from shipwire_purchase_order.py by feature.
    _inherit = "shipwire.purchase.order"  # pylint: disable=consider-merging-classes-inherited

    sent_date = fields.Datetime(
        string="Sent on",
        readonly=True,
        copy=False,
        help="When Shipwire first accepted the PO.",
    )
    approved_date = fields.Datetime(
        string="Approved on",
        readonly=True,
        copy=False,
        help="When the PO was first known approved at Shipwire.",
    )
    shipped_date = fields.Datetime(
        string="First shipped on",
        readonly=True,
        copy=False,
        help="When a first fulfillment order of the PO was known shipped.",
    )
    # Written with the dates rather than computed: a duration not known yet stays
    # empty, so that averages count only the POs that have one.
    hours_to_approval = fields.Float(
        string="Hours from send to approval",
        readonly=True,
        copy=False,
        aggregator="avg",
    )
    hours_to_shipment = fields.Float(
        string="Hours from approval to shipment",
        readonly=True,
        copy=False,
        aggregator="avg",
    )

    def _note_milestones(self, state):
        """These POs just reached ``state``: date the milestones it implies that
        they had not reached before. A date, once set, is never moved or cleared,
        whatever comes later (a hold after approval, a replayed webhook)."""
        now = fields.Datetime.now()
        dated = {}
        for date_field, states in MILESTONES:
            if state in states:
                dated[date_field] = self.filtered(
                    lambda po, name=date_field: not po[name]
                )
                dated[date_field].write({date_field: now})
        # A duration is written once, with its end date, 0 hours included. In SQL:
        # the ORM takes 0.0 for an empty float and would not write it, leaving the
        # PO out of the averages.
        for duration_field, start, end in DURATIONS:
            ended = dated.get(end, self.browse()).filtered(start)
            if not ended:
                continue
            ended.flush_recordset([start, end])
            self.env.cr.execute(
                SQL(
                    "UPDATE shipwire_purchase_order "
                    "SET %s = EXTRACT(EPOCH FROM %s - %s) / 3600 WHERE id IN %s",
                    SQL.identifier(duration_field),
                    SQL.identifier(end),
                    SQL.identifier(start),
                    tuple(ended.ids),
                )
            )
            ended.invalidate_recordset([duration_field])
