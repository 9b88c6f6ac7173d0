# The Shipwire client and its tests also run without Odoo, and pytest imports this
# file as a plain package then: the Odoo parts load only inside Odoo.
if __name__.startswith("odoo.addons."):
    from . import controllers, models, wizard
