import Foundation
import SeekCore
import SeekStore

/// A fresh store in its own temporary directory.
public struct StoreFixture: Sendable {
    public let directory: String
    public let store: SQLiteStore

    public init() throws {
        directory = NSTemporaryDirectory() + "seek-store-\(UUID().uuidString)"
        store = try SQLiteStore(directory: directory)
    }

    public func workspace(credits: Int) async throws -> String {
        try await store.createWorkspace(NewWorkspace(name: "test", plan: .pro, startingCredits: credits)).workspace.id
    }

    public func submission(
        _ workspaceID: String,
        worker: String = "echo",
        credits: Int = 1,
        priority: JobPriority = .normal,
        input: JSONValue = [:],
        idempotency: IdempotencyClaim? = nil
    ) throws -> JobSubmission {
        var request = try JobRequest(body: input)
        request.priority = priority
        let manifest = WorkerManifest(
            id: worker,
            name: worker,
            description: "",
            version: "1",
            inputSchema: true,
            outputKind: .object,
            pricing: .perRun(credits),
            maxDurationSeconds: 30
        )
        return JobSubmission(
            workspaceID: workspaceID,
            workerID: worker,
            request: request,
            plan: try JobPlan(request: request, manifest: manifest),
            billingMode: .perRun,
            idempotency: idempotency
        )
    }

    /// The workspace's cached balance and the sum of its ledger, which must agree.
    public func balances(_ workspaceID: String) async throws -> (cached: CreditBalance, ledger: CreditBalance) {
        guard let workspace = try await store.workspace(id: workspaceID) else { throw SeekError.notFound("Workspace \(workspaceID)") }
        return (workspace.credits, try await store.ledgerSum(workspaceID: workspaceID))
    }

    /// A job that ended (cancelled) with a webhook to `url`: one delivery in the outbox.
    public func jobWithWebhook(_ workspaceID: String, url: String) async throws -> Job {
        let job = try await store.submit(try submission(workspaceID, input: ["webhook": .string(url)])).job
        return try await store.cancel(jobID: job.id, workspaceID: workspaceID)
    }
}
