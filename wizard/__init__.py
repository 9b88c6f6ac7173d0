from . import shipwire_delivery_resolution
