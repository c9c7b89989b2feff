import GRDB

/// The SQLite schema, one migration per change; never edit a migration that has shipped.
enum SQLiteMigrations {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-foundation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE workspaces (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        plan TEXT NOT NULL,
                        balance INTEGER NOT NULL DEFAULT 0,   -- cache of SUM(ledger amount effects), kept in the same commit
                        reserved INTEGER NOT NULL DEFAULT 0,
                        granted_month TEXT,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        name TEXT NOT NULL,
                        prefix TEXT NOT NULL,
                        key_hash TEXT NOT NULL UNIQUE,
                        created_at INTEGER NOT NULL,
                        last_used_at INTEGER,
                        revoked_at INTEGER
                    );
                    CREATE INDEX api_keys_workspace ON api_keys(workspace_id);

                    CREATE TABLE ledger_entries (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        type TEXT NOT NULL,
                        amount INTEGER NOT NULL CHECK (amount >= 0),
                        balance_delta INTEGER NOT NULL,
                        reserved_delta INTEGER NOT NULL,
                        balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
                        reserved_after INTEGER NOT NULL CHECK (reserved_after >= 0),
                        job_id TEXT,
                        worker_id TEXT,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX ledger_workspace ON ledger_entries(workspace_id, seq);
                    CREATE TRIGGER ledger_entries_immutable_update BEFORE UPDATE ON ledger_entries
                        BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
                    CREATE TRIGGER ledger_entries_immutable_delete BEFORE DELETE ON ledger_entries
                        BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;

                    CREATE TABLE jobs (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        worker_id TEXT NOT NULL,
                        status TEXT NOT NULL,
                        priority INTEGER NOT NULL,
                        input TEXT NOT NULL,
                        webhook_url TEXT,
                        timeout_s INTEGER NOT NULL,
                        cost_estimate INTEGER NOT NULL,
                        cost_run INTEGER,
                        cost_infra INTEGER,
                        billing_mode TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        runner_id TEXT,
                        lease_expires_at INTEGER,
                        created_at INTEGER NOT NULL,
                        started_at INTEGER,
                        completed_at INTEGER,
                        result TEXT,
                        files TEXT,
                        error_code TEXT,
                        error_message TEXT
                    );
                    -- The queue: only queued rows, in claim order.
                    CREATE INDEX jobs_queue ON jobs(priority DESC, seq) WHERE status = 'queued';
                    CREATE INDEX jobs_leases ON jobs(lease_expires_at) WHERE status = 'running';
                    CREATE INDEX jobs_workspace ON jobs(workspace_id, seq);

                    CREATE TABLE idempotency_keys (
                        workspace_id TEXT NOT NULL,
                        key TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        job_id TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (workspace_id, key)
                    );
                    """
            )
        }
        migrator.registerMigration("v2-webhook-secrets") { db in
            // One row per workspace, made with the workspace (or on first use for workspaces made before).
            try db.execute(
                sql: """
                    CREATE TABLE webhook_secrets (
                        workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
                        secret TEXT NOT NULL,
                        previous_secret TEXT,
                        previous_until INTEGER
                    );
                    """
            )
        }
        migrator.registerMigration("v3-webhook-outbox") { db in
            try db.execute(
                sql: """
                    -- The outbox: written in the transaction that makes a job terminal, so a crash can neither
                    -- lose nor invent a webhook. `id` is also the Standard Webhooks webhook-id, kept across retries.
                    CREATE TABLE webhook_deliveries (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        job_id TEXT NOT NULL UNIQUE,
                        url TEXT NOT NULL,
                        event TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        state TEXT NOT NULL DEFAULT 'pending',
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at INTEGER NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
                    CREATE TABLE webhook_attempts (
                        seq INTEGER PRIMARY KEY,
                        delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
                        attempted_at INTEGER NOT NULL,
                        status_code INTEGER,
                        error TEXT,
                        duration_ms INTEGER NOT NULL
                    );
                    CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, seq);
                    """
            )
        }
        migrator.registerMigration("v4-webhook-claims") { db in
            try db.execute(
                sql: """
                    -- Set while a sender holds a delivery for an attempt; a restart makes such deliveries due at once.
                    ALTER TABLE webhook_deliveries ADD COLUMN claimed_at INTEGER;
                    """
            )
        }
        migrator.registerMigration("v5-plans-and-scopes") { db in
            try db.execute(
                sql: """
                    ALTER TABLE workspaces ADD COLUMN rate_per_second INTEGER;
                    ALTER TABLE workspaces ADD COLUMN burst INTEGER;
                    ALTER TABLE workspaces ADD COLUMN credit_line INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'full';

                    -- A credit line lets a balance go below zero, so the ledger is rebuilt without balance_after >= 0.
                    DROP TRIGGER ledger_entries_immutable_update;
                    DROP TRIGGER ledger_entries_immutable_delete;
                    CREATE TABLE ledger_entries_v5 (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        type TEXT NOT NULL,
                        amount INTEGER NOT NULL CHECK (amount >= 0),
                        balance_delta INTEGER NOT NULL,
                        reserved_delta INTEGER NOT NULL,
                        balance_after INTEGER NOT NULL,
                        reserved_after INTEGER NOT NULL CHECK (reserved_after >= 0),
                        job_id TEXT,
                        worker_id TEXT,
                        created_at INTEGER NOT NULL
                    );
                    INSERT INTO ledger_entries_v5 SELECT seq, id, workspace_id, type, amount, balance_delta, reserved_delta, balance_after,
                                                         reserved_after, job_id, worker_id, created_at FROM ledger_entries;
                    DROP TABLE ledger_entries;
                    ALTER TABLE ledger_entries_v5 RENAME TO ledger_entries;
                    CREATE INDEX ledger_workspace ON ledger_entries(workspace_id, seq);
                    CREATE INDEX ledger_workspace_time ON ledger_entries(workspace_id, created_at);
                    CREATE TRIGGER ledger_entries_immutable_update BEFORE UPDATE ON ledger_entries
                        BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
                    CREATE TRIGGER ledger_entries_immutable_delete BEFORE DELETE ON ledger_entries
                        BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
                    """
            )
        }
        migrator.registerMigration("v6-many-processes") { db in
            try db.execute(
                sql: """
                    -- Who holds a delivery's claim, so that a sender that restarts releases only its own.
                    ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
                    -- Counters every process sharing the database reads: 'credentials' moves on every key
                    -- revocation and change of limits, so key caches know when to forget.
                    CREATE TABLE store_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
                    INSERT INTO store_counters (name, value) VALUES ('credentials', 0);
                    """
            )
        }
        migrator.registerMigration("v7-published-workers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE workers (
                        id TEXT PRIMARY KEY,
                        owner_id TEXT NOT NULL REFERENCES workspaces(id),
                        state TEXT NOT NULL CHECK (state IN ('draft', 'published', 'unpublished')),
                        current_version INTEGER NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX workers_owner ON workers(owner_id);
                    CREATE TABLE worker_versions (
                        worker_id TEXT NOT NULL REFERENCES workers(id),
                        number INTEGER NOT NULL,
                        version TEXT NOT NULL,
                        manifest TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (worker_id, number),
                        UNIQUE (worker_id, version)
                    ) WITHOUT ROWID;
                    -- The version a job was submitted with (its number, for published workers, and its name), and
                    -- who is paid for it and at what fee: fixed at submit, so later changes do not reach it.
                    ALTER TABLE jobs ADD COLUMN worker_version INTEGER;
                    ALTER TABLE jobs ADD COLUMN worker_version_name TEXT;
                    ALTER TABLE jobs ADD COLUMN publisher_id TEXT;
                    ALTER TABLE jobs ADD COLUMN platform_fee_percent INTEGER;
                    -- Deployments count the jobs of published workers; built-in jobs pay nothing for this index.
                    CREATE INDEX jobs_published_worker ON jobs(worker_id, completed_at) WHERE worker_version IS NOT NULL;
                    INSERT INTO store_counters (name, value) VALUES ('workers', 0);
                    CREATE TABLE runner_tokens (
                        id TEXT PRIMARY KEY,
                        worker_id TEXT NOT NULL REFERENCES workers(id),
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        prefix TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        created_at INTEGER NOT NULL,
                        last_used_at INTEGER,
                        revoked_at INTEGER
                    );
                    CREATE INDEX runner_tokens_worker ON runner_tokens(worker_id);
                    -- Secrets of the whole server, such as the key that signs file URLs.
                    CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
                    -- When each runner process last called, for the runners-online count of deployments.
                    CREATE TABLE runner_presence (
                        claimant TEXT PRIMARY KEY,
                        worker_id TEXT NOT NULL,
                        last_seen INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v8-dashboard-accounts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id TEXT PRIMARY KEY,
                        email TEXT NOT NULL UNIQUE,
                        password_hash TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE memberships (
                        user_id TEXT NOT NULL REFERENCES users(id),
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (user_id, workspace_id)
                    ) WITHOUT ROWID;
                    -- Only a token's hash is kept: a copy of the database opens no browser session.
                    CREATE TABLE sessions (
                        token_hash TEXT PRIMARY KEY,
                        user_id TEXT NOT NULL REFERENCES users(id),
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX sessions_expiry ON sessions(expires_at);
                    """
            )
        }
        migrator.registerMigration("v9-fair-share") { db in
            try db.execute(
                sql: """
                    -- An enterprise workspace's own running-jobs limit; null: its plan's.
                    ALTER TABLE workspaces ADD COLUMN concurrency INTEGER;
                    -- The claim walks the queue workspace by workspace: one seek finds the next workspace with
                    -- queued jobs, another its first jobs in priority order. These two replace the queue and lease
                    -- indexes, so a job costs no more index writes than before: the reaper's scan of running
                    -- jobs reads this small index whole.
                    DROP INDEX jobs_queue;
                    DROP INDEX jobs_leases;
                    CREATE INDEX jobs_queue_workspace ON jobs(workspace_id, priority DESC, seq) WHERE status = 'queued';
                    CREATE INDEX jobs_running ON jobs(workspace_id, lease_expires_at) WHERE status = 'running';
                    """
            )
        }
        migrator.registerMigration("v10-key-caps") { db in
            // An enterprise workspace's own cap on live API keys; null: its plan's.
            try db.execute(sql: "ALTER TABLE workspaces ADD COLUMN max_keys INTEGER")
        }
        migrator.registerMigration("v11-key-filter") { db in
            // The key filter reads the keys made since its last look (`keyHashes(createdSince:)`).
            try db.execute(sql: "CREATE INDEX api_keys_created ON api_keys(created_at)")
        }
        migrator.registerMigration("v12-chore-turns") { db in
            // Chores that one process does for all that share the storage (`takeTurn`).
            try db.execute(sql: "CREATE TABLE chore_turns (name TEXT PRIMARY KEY, next_at INTEGER NOT NULL)")
        }
        return migrator
    }
}
