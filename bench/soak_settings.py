"""The fault soak's numbers (see soak.py): its accounts, its faults, its users'
patience, its rounds of scheduled jobs and the moments of its process faults."""

# Two accounts in two companies, each on a sandbox process of its own (a sandbox
# serves one set of credentials): (user, password, externalId prefix).
ACCOUNTS = (
    ("soak", "soak-password", "ODOO-"),
    ("soak-b", "soak-b-password", "ODOOB-"),
)
CLERK_LOGIN = "soak_clerk"
CLERK_GROUPS = (
    "sales_team.group_sale_salesman_all_leads",
    "sale_stock_shipwire.group_shipwire_user",
)
# The sales order list's "Send to Shipwire", run as the web client runs it.
SEND_ACTION = "sale_stock_shipwire.sale_order_action_shipwire_send"
READ_TIMEOUT = 1.0  # the Shipwire account's read timeout, in seconds
FAULT_SECONDS = 1.5  # latency and timeout_commit faults: longer than READ_TIMEOUT
FAULT_RATE = 0.2  # share of API requests that get a fault
FAULT_KINDS = ("latency", "timeout_commit", "server_error", "reset", "malformed")
# The sandbox tries its rules one after the other, each with its own rate: five rules
# at 0.04 fault 1 - 0.96**5 = 18.5% of requests. This per-kind rate makes it 20%.
PER_KIND_RATE = 1 - (1 - FAULT_RATE) ** (1 / len(FAULT_KINDS))
# Every request fails while the retry path's orders are first sent: a 5xx outside
# urllib3's retry list, so each order fails at once instead of after three retries.
FORCED_FAILURE_STATUS = 507
BULK_CHUNK = 50
# A refused user waits 0.5, 1, 2, 4, 8 s (jittered) before refreshing and sending
# again what is still not sent: long enough for another user's bulk send to finish.
USER_ATTEMPTS = 6
MAX_ROUNDS = 30
FINAL_ROUNDS = 10
SHIP_SHARE = 0.15
SHIP_ROUNDS = (2, 3)
WORKER_TIMEOUT = 45 * 60
SEEDS = {"single": 1, "concurrent": 2}  # the second account's sandbox: + 10
NOT_SENT = "not sent"
# Process faults (see ProcessFaults). Once this share of the orders is sent, the
# sandbox keeps every PO create and then holds its answer HOLD_SECONDS, and a worker
# whose click has waited SEND_KILL_DELAY on Shipwire is killed: its POST went out
# well before, and the client's retries are held as well.
KILL_SEND_AT = 0.15
HOLD_SECONDS = 5.0
SEND_KILL_DELAY = 2.0
# Crashes in the bulk action after Shipwire answered, before Odoo committed: at a
# worker process's n-th bulk action that went through (once per run), its
# transaction is rolled back, or the worker SIGKILLs itself (Odoo's server then
# starts a fresh one). The orders are left to the jobs: nobody sends them again.
BULK_CRASHES = {
    "single": {0: {1: "rollback", 3: "kill"}},
    "concurrent": {0: {1: "rollback"}, 1: {1: "kill"}},
}
# A sync batch is caught once it has been storing this long, uncommitted.
BATCH_FAULT_DELAY = 0.2
PROCESS_FAULT_TIMEOUT = 15 * 60  # how long a process fault waits for its moment
# While this file is in the run's directory, the workers' rounds do not count.
FAULTS_PENDING = "process-faults-pending"
# ir.cron calls a job again while it reports work left, this many times at most.
CRON_CALLS = 10
# Odoo's server that takes the sandboxes' webhooks; how long they may take to
# deliver what they queued once the workers are done.
SERVER_WORKERS = 2
DELIVERY_WAIT = 120
