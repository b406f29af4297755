-- Dispatcher processes and when each last said it was alive. The claims (`outbox.lease_owner`)
-- of a process silent for a few seconds are freed at once rather than after their lease.
CREATE TABLE dispatch_workers (
    id              TEXT PRIMARY KEY,
    heartbeat_at    BIGINT NOT NULL
);
