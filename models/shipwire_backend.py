from odoo import api, fields, models
from odoo.exceptions import UserError

from ..shipwire_api import ShipwireClient, ShipwireError

ADMIN_ONLY = "base.group_system"


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
    username = fields.Char(string="API user", groups=ADMIN_ONLY, copy=False)
    password = fields.Char(string="API password", groups=ADMIN_ONLY, copy=False)
    read_timeout = fields.Float(
        string="Read timeout (s)",
        default=150,
        help="Seconds to wait for Shipwire's answer. Shipwire asks for up to 150.",
    )
    external_id_prefix = fields.Char(
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
    channel_name = fields.Char(help="Sent as channelName.")
    referrer = fields.Char(help="Sent as options.referrer.")
    default_service_level = fields.Char(
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
    exchange_retention_days = fields.Integer(
        string="Keep API calls (days)", default=30, required=True
    )
    exchange_count = fields.Integer(compute="_compute_exchange_count")

    @api.depends_context("uid")
    def _compute_exchange_count(self):
        counts = dict(
            self.env["shipwire.exchange"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.exchange_count = counts.get(backend, 0)

    @api.model
    def _for_warehouse(self, warehouse):
        """The account that serves ``warehouse``, or an empty recordset."""
        mapping = self.env["shipwire.warehouse"].search(
            [
                ("warehouse_id", "=", warehouse.id),
                ("backend_id.active", "=", True),
                ("company_id", "=", warehouse.company_id.id),
            ],
            limit=1,
        )
        return mapping.backend_id

    def _warehouse_mapping(self, warehouse):
        self.ensure_one()
        return self.warehouse_ids.filtered(lambda m: m.warehouse_id == warehouse)[:1]

    def _service_level_for(self, carrier):
        self.ensure_one()
        mapping = self.service_level_ids.filtered(lambda m: m.carrier_id == carrier)
        return mapping[:1].service_level_code or self.default_service_level

    def _missing_configuration(self):
        """What stops this account from calling Shipwire, in words for an admin."""
        self.ensure_one()
        backend = self.sudo()
        problems = []
        if not backend.username or not backend.password:
            problems.append(
                self.env._(
                    "Shipwire account %(account)s has no API user or password: "
                    "an administrator sets them under Inventory > Configuration > "
                    "Shipwire > Accounts.",
                    account=self.name,
                )
            )
        if backend.environment == "custom" and not backend.custom_url:
            problems.append(
                self.env._(
                    "Shipwire account %(account)s uses a custom URL but has none.",
                    account=self.name,
                )
            )
        return problems

    def _make_client(self, exchange_hook=None):
        """A ``ShipwireClient`` for this account. Safe to use from worker threads."""
        self.ensure_one()
        problems = self._missing_configuration()
        if problems:
            raise UserError("\n".join(problems))
        backend = self.sudo()
        url = (
            backend.custom_url
            if backend.environment == "custom"
            else backend.environment
        )
        return ShipwireClient(
            backend.username,
            backend.password,
            url,
            read_timeout=backend.read_timeout,
            do_not_persist_on_warnings=backend.do_not_persist_on_warnings,
            exchange_hook=exchange_hook,
        )

    def action_test_connection(self):
        """Check the credentials with a one-item PO list, and tell how it went."""
        self.ensure_one()
        exchanges = []
        client = self._make_client(exchanges.append)
        try:
            client.request(
                "GET", "/purchaseOrders", params={"limit": 1}, operation="test"
            )
        except ShipwireError as error:
            kind = "danger"
            message = self.env._("Shipwire connection failed: %(error)s", error=error)
        else:
            kind = "success"
            message = self.env._("Shipwire accepted the credentials.")
        finally:
            client.close()
        # A notification, not an exception, so the logged call is kept.
        self.env["shipwire.exchange"]._record(self, exchanges)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "message": message, "sticky": kind == "danger"},
        }

    def action_open_exchanges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_stock_shipwire.shipwire_exchange_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action
