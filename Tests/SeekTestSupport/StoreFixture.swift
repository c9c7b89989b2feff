import Foundation
import Logging
import PostgresNIO
import SeekCore
import SeekStore

/// The store implementations the contract suite runs against. A new implementation adds a case here
/// and passes the same suite unchanged.
public enum StoreKind: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    /// The kinds this run can open: PostgreSQL when the test command started one (`SEEK_TEST_POSTGRES_URL`).
    public static var available: [StoreKind] { TestPostgres.available ? allCases : [.sqlite] }

    /// A new, empty database: a directory for SQLite, a database on the test server for PostgreSQL.
    func makeLocation(directory: String) async throws -> String {
        switch self {
        case .sqlite: return directory
        case .postgres: return try await TestPostgres.freshDatabase()
        }
    }

    /// Opens an instance on the database at `location`; a second call opens a second instance on the
    /// same database, as a second process would.
    func open(_ location: String) async throws -> any SeekStore {
        switch self {
        case .sqlite: return try SQLiteStore(directory: location)
        case .postgres:
            // As many connections as a node's default, so that a test of 60 racing writers waits on PostgreSQL's
            // row locks, which it means to test, rather than for the pool, which refuses after 3 s on a busy machine.
            let pool = try PostgresPool(url: location, poolSize: 20, logger: TestPostgres.logger)
            TestPostgres.keepRunning(pool)
            try await pool.migrate()
            return PostgresStore(pool: pool)
        }
    }
}

/// A fresh store on its own temporary database.
public struct StoreFixture: Sendable {
    /// Workers the fixture's claims ask for: every id the tests submit.
    public static let workers = ["echo", "sleep", "gate", "fails", "record", "w"]

    public let kind: StoreKind
    /// A directory of the fixture's own (the SQLite database's, and files').
    public let directory: String
    /// Where the database is: `directory` for SQLite, a URL for PostgreSQL.
    public let location: String
    public let store: any SeekStore

    public init(_ kind: StoreKind = .sqlite) async throws {
        self.kind = kind
        directory = NSTemporaryDirectory() + "seek-store-\(UUID().uuidString)"
        location = try await kind.makeLocation(directory: directory)
        store = try await kind.open(location)
    }

    /// Another instance on the same database: another process, or the same one after a restart.
    public func another() async throws -> any SeekStore { try await kind.open(location) }

    public func workspace(credits: Int) async throws -> String {
        try await store.createWorkspace(NewWorkspace(name: "test", plan: .pro, startingCredits: credits)).workspace.id
    }

    public func submission(
        _ workspaceID: String,
        worker: String = "echo",
        credits: Int = 1,
        priority: JobPriority = .normal,
        input: JSONValue = [:],
        idempotency: IdempotencyClaim? = nil,
        publisher: PublisherShare? = nil
    ) throws -> JobSubmission {
        var request = try JobRequest(body: input)
        request.priority = priority
        let manifest = WorkerManifest(
            id: worker,
            name: worker,
            description: "",
            version: "1.0.0",
            inputSchema: true,
            outputKind: .object,
            pricing: .perRun(credits),
            maxDurationSeconds: 30
        )
        return JobSubmission(
            workspaceID: workspaceID,
            workerID: worker,
            workerVersion: (publisher == nil ? nil : 1, manifest.version),
            publisher: publisher,
            request: request,
            plan: try JobPlan(request: request, manifest: manifest),
            billingMode: .perRun,
            idempotency: idempotency
        )
    }

    /// Claims queued jobs of any test worker.
    public func claim(_ limit: Int, by claimant: String, lease: Double = 30, in store: (any SeekStore)? = nil) async throws -> [ClaimedJob] {
        try await (store ?? self.store).claim(workers: Self.workers, limit: limit, claimant: claimant, leaseSeconds: lease)
    }

    /// Ends a claimed run as `outcome` says.
    public func finish(_ job: ClaimedJob, by claimant: String, _ outcome: JobOutcome) async throws -> Bool {
        try await store.finish(job, claimant: claimant, ending: JobEnding(jobID: job.id, outcome: outcome, at: Date()), thenClaim: nil).recorded
    }

    public func cancel(_ jobID: String, in workspaceID: String) async throws -> Job {
        try await store.cancel(jobID: jobID, workspaceID: workspaceID, ending: .cancelled(jobID: jobID, at: Date()))
    }

    /// The workspace's cached balance and the sum of its ledger, which must agree.
    public func balances(_ workspaceID: String) async throws -> (cached: CreditBalance, ledger: CreditBalance) {
        guard let workspace = try await store.workspace(id: workspaceID) else { throw SeekError.notFound("Workspace \(workspaceID)") }
        return (workspace.credits, try await store.ledgerSum(workspaceID: workspaceID))
    }

    /// A job that ended (cancelled) with a webhook to `url`: one delivery in the outbox.
    public func jobWithWebhook(_ workspaceID: String, url: String) async throws -> Job {
        let job = try await store.submit(try submission(workspaceID, input: ["webhook": .string(url)])).job
        return try await cancel(job.id, in: workspaceID)
    }
}
