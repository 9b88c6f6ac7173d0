-- Run by Odoo when a database is neutralized (a copy for testing or staging):
-- a copy must neither push orders to the real Shipwire account nor accept
-- webhooks meant for the original.

-- No credentials: every call stops before reaching Shipwire, and the account's
-- form says an administrator must set an API user and password. Shipwire's
-- sandbox is selected so that whoever enters credentials in the copy tests there.
-- The accounts stay active on purpose: they carry the warehouse and service-level
-- mapping, so orders still find their account, a tester only has to type sandbox
-- credentials, and the blank credentials already stop every call (the base
-- module's neutralization has stopped the scheduled jobs too).
UPDATE shipwire_backend
   SET username = NULL,
       password = NULL,
       environment = 'sandbox',
       custom_url = NULL;

-- A fresh, unguessable webhook token: the address the original registered at
-- Shipwire leads nowhere in the copy, and webhooks registered from the copy get
-- an address of their own.
UPDATE shipwire_backend
   SET webhook_token = replace(gen_random_uuid()::text, '-', '');

-- Without their secrets, no delivery signed for the original is accepted.
DELETE FROM shipwire_webhook_secret;
