import Foundation
import SeekCore

/// The workers workspaces publish, with every version of their manifests. Who may see a worker is a rule
/// of SeekCore (`PublishedWorker.isVisible`); an implementation answers 404, never 403, to a caller that is
/// not the owner of what it changes.
public protocol WorkerStore: Sendable {
    /// Makes a draft owned by `owner` from its first manifest; an id already taken is a 422 at `/id`.
    func createWorker(_ manifest: WorkerManifest, owner: String) async throws -> PublishedWorker
    /// Makes `manifest` the current version of the owner's worker of the same id; a version string used
    /// before by this worker is a 422 at `/version`. Jobs already submitted keep their version.
    func addVersion(_ manifest: WorkerManifest, owner: String) async throws -> PublishedWorker
    /// Lists a worker in the marketplace or takes it off the list.
    func setWorkerState(id: String, owner: String, _ state: PublishedWorker.State) async throws -> PublishedWorker
    func publishedWorker(id: String) async throws -> PublishedWorker?
    func workerVersion(id: String, number: Int) async throws -> WorkerVersion?
    /// Every worker the marketplace lists (`owner` nil), or all of one owner's, by id.
    func publishedWorkers(owner: String?) async throws -> [PublishedWorker]
    /// How many jobs of each of `workerIDs` ended (any workspace's, any terminal state) from `start` until `end`.
    func jobsEnded(workerIDs: [String], from start: Date, until end: Date) async throws -> [String: Int]
    /// A new token for the owner's worker, returned once with its secret; only its hash is stored.
    func createRunnerToken(workerID: String, owner: String) async throws -> (record: RunnerTokenRecord, token: String)
    /// The owner's tokens of a worker, newest first, revoked ones too.
    func runnerTokens(workerID: String, owner: String) async throws -> [RunnerTokenRecord]
    func revokeRunnerToken(workerID: String, owner: String, tokenID: String) async throws -> RunnerTokenRecord
    /// The runner behind a live token's hash, read from storage on every call, so that a revoked token is
    /// refused at its next call whichever process revoked it.
    func runnerIdentity(forTokenHash hash: String) async throws -> RunnerIdentity?
    /// Whether a token is still unrevoked (a waiting long poll checks while it holds).
    func runnerTokenIsLive(id: String) async throws -> Bool
    /// Notes that the runner process `claimant`, holding `identity`'s token, called.
    func recordRunnerSeen(_ identity: RunnerIdentity, claimant: String, at: Date) async throws
    /// How many runner processes of each worker called since `since`.
    func runnersOnline(workerIDs: [String], since: Date) async throws -> [String: Int]
    /// A number that moves whenever any published worker changes, in any process sharing the storage:
    /// caches of workers compare it to know when to read again.
    func workersEpoch() async throws -> Int64
}
