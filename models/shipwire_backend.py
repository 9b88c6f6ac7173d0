from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..const import (
    GROUP_ADMIN,
    NOTIFICATION_CLASS,
)
from ..shipwire_api import (
    ShipwireInputError,
    validate_external_id_prefix,
)

# Where the credentials are sent: changing it is an administrator's call, as they are.
SERVER_FIELDS = {"environment", "custom_url"}
# Where the sync and the stock sync stand: only the module writes them.
PROGRESS_FIELDS = {
    "sync_cursor",
    "sync_window_start",
    "sync_resume_key",
    "last_sync_date",
    "last_sync_error",
    "last_sync_error_date",
    "stock_synced_at",
    "stock_read_offset",
    "stock_read_started",
    "stock_sync_error",
    "stock_sync_error_date",
    "outage_since",
    "outage_message",
    "receiving_sync_cursor",
    "return_sync_cursor",
}
MAX_RETENTION_DAYS = 3650
MAX_RECONCILE_HOURS = 8760
# Seconds: no call of Shipwire's is worth waiting longer for.
MAX_TIMEOUT = 600


def ensure_group(env, *groups):
    """Raise ``AccessError`` unless the current user belongs to one of ``groups``."""
    if not any(env.user.has_group(group) for group in groups):
        names = ", ".join(env.ref(group).sudo().full_name for group in groups)
        raise AccessError(env._("Only %(groups)s may do this.", groups=names))


def notification(kind, message, title=None, reload=False):
    """The client action showing ``message`` (one outcome a line) as a
    notification of ``kind`` (success, warning, danger): anything but a success
    stays until closed. ``reload``: the form or list shows what changed."""
    params = {
        "type": kind,
        "message": message,
        "sticky": kind != "success",
        "className": NOTIFICATION_CLASS,
    }
    if title:
        params["title"] = title
    if reload:
        params["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": params,
    }


def nothing_selected(env, title):
    """The notification of a list's button pressed with no record selected."""
    return notification(
        "warning",
        env._("Nothing was selected: select the records, then press again."),
        title=title,
    )


class ShipwireBackend(models.Model):
    """A Shipwire account: credentials, defaults and warehouse mapping."""

    _name = "shipwire.backend"
    _description = "Shipwire account"
    _inherit = ["mail.thread"]
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    environment = fields.Selection(
        [
            ("sandbox", "Shipwire sandbox (beta)"),
            ("production", "Production"),
            ("custom", "Custom URL"),
        ],
        required=True,
        default="sandbox",
        tracking=True,
    )
    custom_url = fields.Char(
        string="URL",
        help="Base URL of a Shipwire-compatible server, e.g. the local sandbox "
        "http://127.0.0.1:8765",
    )
    username = fields.Char(
        string="API user", groups=GROUP_ADMIN, copy=False, exportable=False
    )
    password = fields.Char(
        string="API password", groups=GROUP_ADMIN, copy=False, exportable=False
    )
    read_timeout = fields.Float(
        string="Read timeout (s)",
        default=150,
        help="Seconds to wait for Shipwire's answer. Shipwire asks for up to 150.",
    )
    external_id_prefix = fields.Char(
        string="External id prefix",
        default="ODOO-",
        required=True,
        help="Start of the externalId of every PO sent from this database. "
        "Give each database sharing one Shipwire account its own prefix.",
    )
    do_not_persist_on_warnings = fields.Boolean(
        string="Reject POs with problems",
        default=True,
        help="On: Shipwire refuses a PO with errors, and the order shows them. "
        "Off: Shipwire keeps it on hold until it is corrected with Update.",
    )
    auto_approve = fields.Boolean(
        string="Send POs approved",
        default=True,
        help="Off: each PO waits for Approve, in Odoo or at Shipwire.",
    )
    can_split = fields.Boolean(
        string="Allow splitting",
        help="Let Shipwire ship a PO from several warehouses, one fulfillment order "
        "each. Limits externalIds to 30 characters.",
    )
    hold_on_create = fields.Boolean(
        string="Send POs on hold", help="Shipwire keeps new POs on hold."
    )
    currency_id = fields.Many2one(
        "res.currency", help="Currency of customs values; the order's when empty."
    )
    channel_name = fields.Char(string="Channel name", help="Sent as channelName.")
    referrer = fields.Char(help="Sent as options.referrer.")
    default_service_level = fields.Char(
        string="Default service level",
        default="GD",
        required=True,
        help="Shipwire serviceLevelCode when the delivery method is not mapped.",
    )
    warehouse_ids = fields.One2many(
        "shipwire.warehouse", "backend_id", string="Warehouses"
    )
    service_level_ids = fields.One2many(
        "shipwire.service.level", "backend_id", string="Service levels"
    )
    reconcile_after_hours = fields.Integer(
        string="Re-read open POs after (hours)",
        default=6,
        required=True,
        help="Shipwire may change a status without marking the PO as updated, so "
        "the sync also reads again, in a few list calls, the open POs it has not "
        "seen change for this long.",
    )
    exchange_retention_days = fields.Integer(
        string="Keep API calls (days)", default=30, required=True
    )
    sync_cursor = fields.Datetime(
        copy=False,
        help="The next sync asks Shipwire for what changed since this moment.",
    )
    sync_window_start = fields.Datetime(copy=False)
    sync_resume_key = fields.Char(
        copy=False, help="Where an unfinished sync run goes on from."
    )
    last_sync_date = fields.Datetime(string="Last successful sync", copy=False)
    last_sync_error = fields.Text(copy=False)
    last_sync_error_date = fields.Datetime(string="Last sync failure", copy=False)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_orders(self):
        for backend in self:
            count = (
                self.env["sale.order"]
                .sudo()
                .search_count([("shipwire_backend_id", "=", backend.id)])
            )
            if count:
                raise UserError(
                    self.env._(
                        "The Shipwire account %(account)s is used by %(count)s sales "
                        "orders, which would lose their link to Shipwire: archive it "
                        "instead.",
                        account=backend.name,
                        count=count,
                    )
                )

    def write(self, vals):
        if (
            SERVER_FIELDS & vals.keys()
            and not self.env.is_superuser()
            and not self.env.user.has_group(GROUP_ADMIN)
        ):
            raise AccessError(
                self.env._(
                    "Only an administrator can point a Shipwire account at another "
                    "server: the account's API password is sent there."
                )
            )
        if PROGRESS_FIELDS & vals.keys() and not self.env.su:
            raise AccessError(
                self.env._(
                    "Where the Shipwire syncs stand is kept by the module; "
                    "%(fields)s cannot be changed by hand.",
                    fields=", ".join(sorted(PROGRESS_FIELDS & vals.keys())),
                )
            )
        return super().write(vals)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        if default and "name" in default:
            return vals_list
        return [
            {**vals, "name": self.env._("%(name)s (copy)", name=backend.name)}
            for backend, vals in zip(self, vals_list, strict=True)
        ]

    @api.constrains("external_id_prefix", "can_split")
    def _check_external_id_prefix(self):
        for backend in self:
            try:
                validate_external_id_prefix(
                    backend.external_id_prefix, backend.can_split
                )
            except ShipwireInputError as error:
                raise ValidationError(
                    self.env._(
                        "%(account)s: %(error)s", account=backend.name, error=error
                    )
                ) from None

    @api.constrains("exchange_retention_days", "reconcile_after_hours")
    def _check_limits(self):
        for backend in self:
            if not 1 <= backend.reconcile_after_hours <= MAX_RECONCILE_HOURS:
                raise ValidationError(
                    self.env._(
                        "%(account)s: re-read open POs after between 1 and %(max)s "
                        "hours.",
                        account=backend.name,
                        max=MAX_RECONCILE_HOURS,
                    )
                )
            if not 1 <= backend.exchange_retention_days <= MAX_RETENTION_DAYS:
                raise ValidationError(
                    self.env._(
                        "%(account)s: keep API calls between 1 and %(max)s days.",
                        account=backend.name,
                        max=MAX_RETENTION_DAYS,
                    )
                )

    @api.constrains("read_timeout")
    def _check_read_timeout(self):
        self._check_timeout("read_timeout")

    def _check_timeout(self, field_name):
        """A timeout is a number of seconds above 0 and at most MAX_TIMEOUT.
        Written so that NaN, which passes ``<= 0``, is refused too."""
        for backend in self:
            if not 0 < backend[field_name] <= MAX_TIMEOUT:
                raise ValidationError(
                    self.env._(
                        "%(account)s: %(field)s must be more than 0 and at most "
                        "%(max)s seconds (Shipwire asks for up to 150).",
                        account=backend.name,
                        field=self._fields[field_name]._description_string(self.env),
                        max=MAX_TIMEOUT,
                    )
                )

    # A standing shipping quote looks both up on every call, and a send builds
    # the payload of each of its orders: each list is read in one narrow query
    # the first time, then from memory.
    def _mapping_lines(self, fname, columns):
        """The account's ``fname`` lines with ``columns`` loaded. Kept in memory
        as Odoo keeps any one2many it has read, so that later lookups in the
        transaction cost no query and lines made, changed or moved meanwhile
        are seen."""
        field = self._fields[fname]
        if self.id and not self.env.cache.contains(self, field):
            lines = self.env[field.comodel_name].search_fetch(
                [(field.inverse_name, "=", self.id)], [field.inverse_name, *columns]
            )
            self.env.cache.insert_missing(self, field, [lines._ids])
        return self[fname]

    def _warehouse_mapping(self, warehouse):
        self.ensure_one()
        return self._mapping_lines(
            "warehouse_ids",
            [
                "warehouse_id",
                "shipwire_warehouse_id",
                "shipwire_warehouse_external_id",
                "shipwire_region",
            ],
        ).filtered(lambda m: m.warehouse_id == warehouse)[:1]

    def _service_level_for(self, carrier):
        self.ensure_one()
        mapping = self._mapping_lines(
            "service_level_ids", ["carrier_id", "service_level_code"]
        ).filtered(lambda m: m.carrier_id == carrier)[:1]
        return mapping.service_level_code or self.default_service_level
