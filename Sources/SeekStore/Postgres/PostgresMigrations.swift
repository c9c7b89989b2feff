/// The PostgreSQL schema, one migration per change; never edit a migration that has shipped. It starts where
/// the SQLite schema stands after its v11 (the same tables, columns and indexes, times in milliseconds), so the
/// stores read and write the same shapes on both. Statements are listed one by one: PostgresNIO runs each as a
/// prepared statement, which holds one command.
enum PostgresMigrations {
    struct Migration {
        let name: String
        let statements: [String]
    }

    static let all: [Migration] = [foundation, sharedLimits]

    static let foundation = Migration(
        name: "v1-foundation",
        statements: [
            """
            CREATE TABLE workspaces (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                plan TEXT NOT NULL,
                balance BIGINT NOT NULL DEFAULT 0,   -- cache of SUM(ledger amount effects), kept in the same commit
                reserved BIGINT NOT NULL DEFAULT 0,
                granted_month TEXT,
                created_at BIGINT NOT NULL,
                rate_per_second BIGINT,
                burst BIGINT,
                credit_line BIGINT NOT NULL DEFAULT 0,
                concurrency BIGINT,
                max_keys BIGINT
            )
            """,
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                name TEXT NOT NULL,
                prefix TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                scope TEXT NOT NULL DEFAULT 'full',
                created_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT
            )
            """,
            "CREATE INDEX api_keys_workspace ON api_keys(workspace_id)",
            "CREATE INDEX api_keys_created ON api_keys(created_at)",
            """
            CREATE TABLE ledger_entries (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                type TEXT NOT NULL,
                amount BIGINT NOT NULL CHECK (amount >= 0),
                balance_delta BIGINT NOT NULL,
                reserved_delta BIGINT NOT NULL,
                balance_after BIGINT NOT NULL,
                reserved_after BIGINT NOT NULL CHECK (reserved_after >= 0),
                job_id TEXT,
                worker_id TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX ledger_workspace ON ledger_entries(workspace_id, seq)",
            "CREATE INDEX ledger_workspace_time ON ledger_entries(workspace_id, created_at)",
            """
            CREATE FUNCTION seek_ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'ledger entries are immutable';
            END
            $$
            """,
            """
            CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries
                FOR EACH ROW EXECUTE FUNCTION seek_ledger_immutable()
            """,
            """
            CREATE TABLE jobs (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                worker_id TEXT NOT NULL,
                status TEXT NOT NULL,
                priority INTEGER NOT NULL,
                input TEXT NOT NULL,
                webhook_url TEXT,
                timeout_s BIGINT NOT NULL,
                cost_estimate BIGINT NOT NULL,
                cost_run BIGINT,
                cost_infra BIGINT,
                billing_mode TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                runner_id TEXT,
                lease_expires_at BIGINT,
                created_at BIGINT NOT NULL,
                started_at BIGINT,
                completed_at BIGINT,
                result TEXT,
                files TEXT,
                error_code TEXT,
                error_message TEXT,
                worker_version INTEGER,
                worker_version_name TEXT,
                publisher_id TEXT,
                platform_fee_percent INTEGER
            )
            """,
            // The claim walks the queue workspace by workspace (fair share), as on SQLite.
            "CREATE INDEX jobs_queue_workspace ON jobs(workspace_id, priority DESC, seq) WHERE status = 'queued'",
            "CREATE INDEX jobs_running ON jobs(workspace_id, lease_expires_at) WHERE status = 'running'",
            "CREATE INDEX jobs_workspace ON jobs(workspace_id, seq)",
            "CREATE INDEX jobs_published_worker ON jobs(worker_id, completed_at) WHERE worker_version IS NOT NULL",
            """
            CREATE TABLE idempotency_keys (
                workspace_id TEXT NOT NULL,
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                job_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, key)
            )
            """,
            """
            CREATE TABLE webhook_secrets (
                workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
                secret TEXT NOT NULL,
                previous_secret TEXT,
                previous_until BIGINT
            )
            """,
            // The outbox: written in the transaction that makes a job terminal.
            """
            CREATE TABLE webhook_deliveries (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                job_id TEXT NOT NULL UNIQUE,
                url TEXT NOT NULL,
                event TEXT NOT NULL,
                payload TEXT NOT NULL,
                state TEXT NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                claimed_at BIGINT,
                claimed_by TEXT
            )
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'pending'",
            """
            CREATE TABLE webhook_attempts (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
                attempted_at BIGINT NOT NULL,
                status_code INTEGER,
                error TEXT,
                duration_ms BIGINT NOT NULL
            )
            """,
            "CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, seq)",
            // Counters every node reads: 'credentials' moves on every key revocation and change of limits.
            "CREATE TABLE store_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            "INSERT INTO store_counters (name, value) VALUES ('credentials', 0), ('workers', 0)",
            """
            CREATE TABLE workers (
                id TEXT PRIMARY KEY,
                owner_id TEXT NOT NULL REFERENCES workspaces(id),
                state TEXT NOT NULL CHECK (state IN ('draft', 'published', 'unpublished')),
                current_version INTEGER NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX workers_owner ON workers(owner_id)",
            """
            CREATE TABLE worker_versions (
                worker_id TEXT NOT NULL REFERENCES workers(id),
                number INTEGER NOT NULL,
                version TEXT NOT NULL,
                manifest TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (worker_id, number),
                UNIQUE (worker_id, version)
            )
            """,
            """
            CREATE TABLE runner_tokens (
                id TEXT PRIMARY KEY,
                worker_id TEXT NOT NULL REFERENCES workers(id),
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                prefix TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT
            )
            """,
            "CREATE INDEX runner_tokens_worker ON runner_tokens(worker_id)",
            "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL)",
            "CREATE TABLE runner_presence (claimant TEXT PRIMARY KEY, worker_id TEXT NOT NULL, last_seen BIGINT NOT NULL)",
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE memberships (
                user_id TEXT NOT NULL REFERENCES users(id),
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
                created_at BIGINT NOT NULL,
                PRIMARY KEY (user_id, workspace_id)
            )
            """,
            // Only a token's hash is kept: a copy of the database opens no browser session.
            """
            CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id),
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX sessions_expiry ON sessions(expires_at)",
        ]
    )

    /// What nodes share besides the work: the rate buckets of keys and workspaces (unlogged: a crash empties them,
    /// which fills every bucket, as a restart of one node did), and the turns of chores that one node does for
    /// all (cleaning files).
    static let sharedLimits = Migration(
        name: "v2-shared-limits",
        statements: [
            """
            CREATE UNLOGGED TABLE rate_buckets (
                name TEXT PRIMARY KEY,
                tokens DOUBLE PRECISION NOT NULL,
                refreshed_at DOUBLE PRECISION NOT NULL,
                granted DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE TABLE chore_turns (name TEXT PRIMARY KEY, next_at BIGINT NOT NULL)",
        ]
    )
}
