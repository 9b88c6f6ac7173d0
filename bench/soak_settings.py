"""The fault soak's numbers (see soak.py): its faults, its users' patience, its
rounds of scheduled jobs and the moments of its process faults."""

SANDBOX_USER = "soak"
SANDBOX_PASSWORD = "soak-password"
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
SEEDS = {"single": 1, "concurrent": 2}
NOT_SENT = "not sent"
# Process faults (see ProcessFaults). Once this share of the orders is sent, the
# sandbox keeps every PO create and then holds its answer HOLD_SECONDS, and a worker
# whose click has waited SEND_KILL_DELAY on Shipwire is killed: its POST went out
# well before, and the client's retries are held as well.
KILL_SEND_AT = 0.15
HOLD_SECONDS = 5.0
SEND_KILL_DELAY = 2.0
# A sync batch is caught once it has been storing this long, uncommitted.
BATCH_FAULT_DELAY = 0.2
PROCESS_FAULT_TIMEOUT = 15 * 60  # how long a process fault waits for its moment
# While this file is in the run's directory, the workers' rounds do not count.
FAULTS_PENDING = "process-faults-pending"
