import logging

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..const import GROUP_ADMIN, GROUP_MANAGER, OUTAGE_ACTIVITY
from ..shipwire_api import ShipwireAuthError, ShipwireTransientError

_logger = logging.getLogger(__name__)

# Errors that stop every call of an account, not one order: Shipwire unreachable,
# credentials refused or missing.
OUTAGE_ERRORS = (ShipwireTransientError, ShipwireAuthError)
MAX_FAILED_SENDS = 1000


class ShipwireBackendAttention(models.Model):
    """Who is told about an account's problems, and whether it is failing now."""

    _name = "shipwire.backend"
    _inherit = ["shipwire.backend", "mail.activity.mixin"]

    responsible_user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        tracking=True,
        help="Gets the account's outages, and the Shipwire activities of orders "
        "without a salesperson.",
    )
    responsible_team_id = fields.Many2one(
        "crm.team",
        string="Responsible team",
        check_company=True,
        tracking=True,
        help="Its leader is told when the account has no responsible user.",
    )
    send_failure_activity_after = fields.Integer(
        string="Tell after failed sends",
        default=3,
        required=True,
        help="An order that could not be sent this many times gets an activity; "
        "it is still sent again automatically.",
    )
    outage_since = fields.Datetime(
        readonly=True,
        copy=False,
        help="Since when Shipwire cannot be reached with this account.",
    )
    outage_message = fields.Text(readonly=True, copy=False)

    @api.constrains("send_failure_activity_after")
    def _check_send_failure_activity_after(self):
        for backend in self:
            if not 1 <= backend.send_failure_activity_after <= MAX_FAILED_SENDS:
                raise ValidationError(
                    self.env._(
                        "%(account)s: Tell after failed sends must be between 1 "
                        "and %(max)s.",
                        account=backend.name,
                        max=MAX_FAILED_SENDS,
                    )
                )

    @api.constrains("responsible_user_id", "company_id")
    def _check_responsible_user_id(self):
        for backend in self:
            user = backend.responsible_user_id.sudo()
            if user and (
                not user.active
                or user.share
                or backend.company_id not in user.company_ids
            ):
                raise ValidationError(
                    self.env._(
                        "%(account)s: the Responsible must be an active internal "
                        "user of %(company)s, and %(user)s is not. Choose another "
                        "Responsible, or give %(user)s access to %(company)s.",
                        account=backend.name,
                        company=backend.company_id.name,
                        user=user.name,
                    )
                )

    # -- who gets an activity --------------------------------------------------

    def _shipwire_assignee(self, preferred=None):
        """The person who takes an activity about this account's work: the
        preferred user (an order's salesperson), the account's responsible, its
        team's leader, a Shipwire Manager, an administrator of the company. Never
        OdooBot, an archived or a portal user; an empty record when nobody fits."""
        self.ensure_one()
        company = self.company_id

        def fits(user):
            user = user.sudo()
            return (
                user
                and user.active
                and not user.share
                and user.id != self.env.ref("base.user_root").id
                and company in user.company_ids
            )

        candidates = [
            preferred or self.env["res.users"],
            self.responsible_user_id,
            self.responsible_team_id.user_id,
        ]
        for group in (GROUP_MANAGER, GROUP_ADMIN):
            candidates.extend(self.env.ref(group).sudo().users.sorted("id"))
        for candidate in candidates:
            if fits(candidate):
                return candidate
        return self.env["res.users"]

    def _shipwire_schedule_activity(
        self, record, activity_type, summary, notes=(), preferred=None
    ):
        """Schedule on ``record`` an activity for this account's assignee, unless
        one of that type and summary is still open. Returns the activity, or an
        empty record."""
        self.ensure_one()
        Activity = self.env["mail.activity"]
        record = record.sudo()
        type_record = self.env.ref(activity_type)
        if record.activity_ids.filtered(
            lambda a: a.activity_type_id == type_record and a.summary == summary
        ):
            return Activity
        assignee = self._shipwire_assignee(preferred)
        if not assignee:
            _logger.warning(
                "Nobody can take the Shipwire activity %r on %s: give the account "
                "%s a responsible.",
                summary,
                record.display_name,
                self.name,
            )
            return Activity
        note = Markup("<ul>%s</ul>") % Markup("").join(
            Markup("<li>%s</li>") % escape(str(line)) for line in notes
        )
        return record.activity_schedule(
            activity_type, summary=summary, note=note, user_id=assignee.id
        )

    # -- outages ---------------------------------------------------------------

    def _shipwire_outage(self, error):
        """Calls of this account fail for a reason no order can fix: show it on
        the account and tell its responsible, once for the whole outage."""
        self.ensure_one()
        backend = self.sudo()
        values = {"outage_message": str(error)}
        if not backend.outage_since:
            values["outage_since"] = fields.Datetime.now()
        backend.write(values)
        backend._shipwire_schedule_activity(
            backend,
            OUTAGE_ACTIVITY,
            self.env._("Shipwire: account %(account)s fails", account=backend.name),
            [error],
        )

    def _shipwire_outage_over(self):
        """A call of this account went through: the outage is over."""
        self.ensure_one()
        backend = self.sudo()
        if not backend.outage_since:
            return
        backend.write({"outage_since": False, "outage_message": False})
        outage_type = self.env.ref(OUTAGE_ACTIVITY)
        backend.activity_ids.filtered(
            lambda a: a.activity_type_id == outage_type
        ).action_feedback(feedback=self.env._("Shipwire answers again."))
