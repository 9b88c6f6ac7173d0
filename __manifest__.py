{
    "name": "Shipwire Purchase Orders",
    "summary": "Send B2B sales orders to Shipwire as warehouse purchase orders "
    "and keep their fulfillment in step",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "license": "LGPL-3",
    "author": "sale_stock_shipwire developers",
    "depends": ["sale_stock"],
    "external_dependencies": {"python": ["requests"]},
    "data": [],
    "installable": True,
    "application": False,
}
