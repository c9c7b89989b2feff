import Foundation
import Logging
import SeekCore
import SeekStore
import SeekTestSupport
import SeekWorkers
import ServiceLifecycle
import Synchronization
import Testing

@testable import SeekRuntime

/// Tells the test when a run starts, and holds the run until the test releases it.
final class Gate: Sendable {
    let started: AsyncStream<Void>
    private let startedContinuation: AsyncStream<Void>.Continuation
    let release: AsyncStream<Void>
    let releaseContinuation: AsyncStream<Void>.Continuation

    init() {
        (started, startedContinuation) = AsyncStream.makeStream()
        (release, releaseContinuation) = AsyncStream.makeStream()
    }

    func enter() async throws {
        startedContinuation.yield()
        for await _ in release { break }
        try Task.checkCancellation()
    }
}

struct GateWorker: Worker {
    let gate: Gate
    let manifest = WorkerManifest(
        id: "gate",
        name: "Gate",
        description: "",
        version: "1",
        inputSchema: true,
        outputKind: .object,
        pricing: .perRun(2),
        maxDurationSeconds: 60
    )
    func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        try await gate.enter()
        return .object(["released": true])
    }
}

struct FailingWorker: Worker {
    let manifest = WorkerManifest(
        id: "fails",
        name: "Fails",
        description: "",
        version: "1",
        inputSchema: true,
        outputKind: .object,
        pricing: .perRun(3),
        maxDurationSeconds: 60
    )
    func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        throw WorkerFailure(code: "bad_input", message: "cannot do that")
    }
}

/// The order in which jobs ran.
final class RunLog: Sendable {
    private let entries = Mutex<[Int64]>([])
    func append(_ value: Int64) { entries.withLock { $0.append(value) } }
    var values: [Int64] { entries.withLock { $0 } }
}

/// Records the order in which jobs ran.
struct RecordingWorker: Worker {
    let order: RunLog
    let manifest = WorkerManifest(
        id: "record",
        name: "Record",
        description: "",
        version: "1",
        inputSchema: true,
        outputKind: .list,
        pricing: .perEvent(1, maxEvents: 5),
        maxDurationSeconds: 60
    )
    func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        order.append(input["n"]?.integerValue ?? -1)
        context.recordEvents(2)
        context.warn("two items only")
        try await context.save(name: "items.txt", contentType: "text/plain", bytes: Array("1\n2\n".utf8))
        return .list([1, 2])
    }
}

/// Counts the claims a runner makes in commits of their own.
final class ClaimCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// A job store that counts `claim` calls and passes everything on.
struct CountingJobStore: JobStore {
    let base: any JobStore
    let claims: ClaimCounter

    func submit(_ submission: JobSubmission) async throws -> SubmitResult { try await base.submit(submission) }
    func job(id: String, workspaceID: String) async throws -> Job? { try await base.job(id: id, workspaceID: workspaceID) }
    func jobs(workspaceID: String, filter: JobFilter) async throws -> [Job] { try await base.jobs(workspaceID: workspaceID, filter: filter) }
    func cancel(jobID: String, workspaceID: String, ending: JobEnding) async throws -> Job {
        try await base.cancel(jobID: jobID, workspaceID: workspaceID, ending: ending)
    }
    func claim(workers: [String], limit: Int, claimant: String, leaseSeconds: Double) async throws -> [ClaimedJob] {
        claims.add()
        return try await base.claim(workers: workers, limit: limit, claimant: claimant, leaseSeconds: leaseSeconds)
    }
    func renewLeases(jobIDs: [String], claimant: String, leaseSeconds: Double) async throws -> Set<String> {
        try await base.renewLeases(jobIDs: jobIDs, claimant: claimant, leaseSeconds: leaseSeconds)
    }
    func runningJob(id: String, claimant: String) async throws -> ClaimedJob? { try await base.runningJob(id: id, claimant: claimant) }
    func finish(_ job: ClaimedJob, claimant: String, ending: JobEnding, thenClaim: ClaimRequest?) async throws -> FinishResult {
        try await base.finish(job, claimant: claimant, ending: ending, thenClaim: thenClaim)
    }
    func returnToQueue(_ job: ClaimedJob, claimant: String) async throws { try await base.returnToQueue(job, claimant: claimant) }
    func releaseClaims(of claimant: String) async throws -> Int { try await base.releaseClaims(of: claimant) }
    func requeueExpiredLeases(before cutoff: Date) async throws -> Int { try await base.requeueExpiredLeases(before: cutoff) }
    func queueCounts() async throws -> (queued: Int, running: Int) { try await base.queueCounts() }
}

final class Harness: Sendable {
    let fixture: StoreFixture
    let queue: JobQueue
    let runner: JobRunner
    let group: ServiceGroup
    let order = RunLog()
    let claimingStopped: AsyncStream<Void>

    init(
        gate: Gate = Gate(),
        concurrency: Int = 4,
        grace: Duration = .seconds(30),
        leaseSeconds: Double = 30,
        extra: [any Service] = [],
        fixture given: StoreFixture? = nil,
        pollInterval: Duration = .seconds(1),
        claims: ClaimCounter? = nil
    ) async throws {
        let fixture: StoreFixture
        if let given { fixture = given } else { fixture = try await StoreFixture() }
        self.fixture = fixture
        let registry = try WorkerRegistry([EchoWorker(), SleepWorker(), GateWorker(gate: gate), FailingWorker(), RecordingWorker(order: order)])
        queue = JobQueue(store: claims.map { CountingJobStore(base: fixture.store, claims: $0) } ?? fixture.store)
        let logger = Logger(label: "test")
        let (stopped, stoppedContinuation) = AsyncStream.makeStream(of: Void.self)
        claimingStopped = stopped
        runner = JobRunner(
            queue: queue,
            registry: registry,
            files: try LocalFileStore(directory: self.fixture.directory + "/files"),
            configuration: RunnerConfiguration(
                claimant: "node-test",
                concurrency: concurrency,
                leaseSeconds: leaseSeconds,
                pollInterval: pollInterval,
                shutdownGrace: grace
            ),
            observer: RunnerObserver(claimingStopped: { stoppedContinuation.yield() }),
            logger: logger
        )
        let reaper = LeaseReaper(queue: queue, interval: .milliseconds(50), logger: logger)
        group = ServiceGroup(configuration: .init(services: [runner, reaper] + extra, logger: logger))
    }

    /// Starts the runner and the reaper; returns a new workspace and the task to cancel at the end.
    func start(credits: Int) async throws -> (workspaceID: String, task: Task<Void, any Error>) {
        let workspaceID = try await fixture.workspace(credits: credits)
        return (workspaceID, Task { try await group.run() })
    }

    func submit(
        _ workspaceID: String,
        worker: String,
        input: JSONValue = [:],
        credits: Int = 1,
        priority: JobPriority = .normal,
        timeout: Int? = nil
    ) async throws -> Job {
        var submission = try fixture.submission(workspaceID, worker: worker, credits: credits, priority: priority, input: input)
        if let timeout { submission.plan.deadlineSeconds = timeout }
        return try await queue.submit(submission).job
    }

    /// The job once it is terminal; fails the test if it is not within `limit`.
    func finished(_ job: Job, within limit: Duration = .seconds(20)) async throws -> Job {
        let current = try #require(try await queue.waitForEnd(jobID: job.id, workspaceID: job.workspaceID, timeout: limit))
        #expect(current.status.isTerminal, "job \(job.id) is still \(current.status)")
        return current
    }
}

@Suite("The in-process runner")
struct JobRunnerTests {
    @Test("runs jobs to completion and settles their credits")
    func completes() async throws {
        let harness = try await Harness()
        let (workspaceID, running) = try await harness.start(credits: 10)
        defer { running.cancel() }
        let job = try await harness.submit(workspaceID, worker: "echo", input: ["hello": "world"])
        let done = try await harness.finished(job)
        #expect(done.status == .completed)
        #expect(done.result == .object(["hello": "world"]))
        #expect(done.costCredits == 1)
        #expect(done.startedAt != nil && done.completedAt != nil)
        let (cached, ledger) = try await harness.fixture.balances(workspaceID)
        #expect(cached == ledger)
        #expect(cached == CreditBalance(balance: 9, reserved: 0))
    }

    @Test("a per-event worker is charged for the events it reports; its warnings and files reach the job")
    func perEvent() async throws {
        let harness = try await Harness()
        let (workspaceID, running) = try await harness.start(credits: 10)
        defer { running.cancel() }
        let job = try await harness.submit(workspaceID, worker: "record", credits: 5)
        let done = try await harness.finished(job)
        #expect(done.costCredits == 2)
        #expect(done.result?.kind == .list)
        #expect(done.result?.meta["warnings"] == ["two items only"])
        let file = try #require(done.files.first)
        #expect(done.files.count == 1 && file.name == "items.txt" && file.sizeBytes == 4 && IDKind.file.matches(file.id))
        #expect(file.url == "/v1/files/\(file.id)")
        let files = try LocalFileStore(directory: harness.fixture.directory + "/files")
        let record = try #require(try await files.file(id: file.id))
        #expect(record.workspaceID == workspaceID && record.jobID == job.id && record.contentType == "text/plain")
        #expect(try await files.contents(of: record) == Array("1\n2\n".utf8))
        #expect(try await harness.fixture.balances(workspaceID).cached == CreditBalance(balance: 8, reserved: 0))
    }

    @Test("a job past its deadline ends as timeout and costs nothing")
    func deadline() async throws {
        let harness = try await Harness()
        let (workspaceID, running) = try await harness.start(credits: 10)
        defer { running.cancel() }
        let job = try await harness.submit(workspaceID, worker: "sleep", input: ["ms": 60_000], timeout: 1)
        let done = try await harness.finished(job)
        #expect(done.status == .timeout)
        #expect(done.costCredits == 0)
        #expect(done.error?.code == "timeout")
        #expect(try await harness.fixture.balances(workspaceID).cached == CreditBalance(balance: 10, reserved: 0))
    }

    @Test("a worker's failure fails the job and releases its credits")
    func failure() async throws {
        let harness = try await Harness()
        let (workspaceID, running) = try await harness.start(credits: 10)
        defer { running.cancel() }
        let done = try await harness.finished(try await harness.submit(workspaceID, worker: "fails", credits: 3))
        #expect(done.status == .failed)
        #expect(done.error == JobFailure(code: "bad_input", message: "cannot do that"))
        #expect(try await harness.fixture.balances(workspaceID).cached == CreditBalance(balance: 10, reserved: 0))
    }

    @Test("with one slot, jobs run high before normal before low, FIFO within one")
    func priorityOrder() async throws {
        let gate = Gate()
        let harness = try await Harness(gate: gate, concurrency: 1)
        let (workspaceID, running) = try await harness.start(credits: 100)
        defer { running.cancel() }
        // Hold the only slot while the queue fills up.
        let blocker = try await harness.submit(workspaceID, worker: "gate")
        var started = gate.started.makeAsyncIterator()
        _ = await started.next()
        var jobs: [Job] = []
        for (n, priority) in [(1, JobPriority.low), (2, .normal), (3, .high), (4, .low), (5, .high), (6, .normal)] {
            jobs.append(try await harness.submit(workspaceID, worker: "record", input: ["n": .integer(Int64(n))], priority: priority))
        }
        gate.releaseContinuation.yield()
        _ = try await harness.finished(blocker)
        for job in jobs { _ = try await harness.finished(job) }
        #expect(harness.order.values == [3, 5, 2, 6, 1, 4])
    }

    @Test("graceful shutdown stops claiming and lets a running job finish")
    func gracefulShutdown() async throws {
        let gate = Gate()
        let harness = try await Harness(gate: gate)
        let (workspaceID, running) = try await harness.start(credits: 10)
        let job = try await harness.submit(workspaceID, worker: "gate")
        var started = gate.started.makeAsyncIterator()
        _ = await started.next()
        await harness.group.triggerGracefulShutdown()
        var stopped = harness.claimingStopped.makeAsyncIterator()
        _ = await stopped.next()
        let queuedAfterShutdown = try await harness.submit(workspaceID, worker: "echo")
        gate.releaseContinuation.yield()
        try await running.value
        let stored = try #require(try await harness.fixture.store.job(id: job.id, workspaceID: workspaceID))
        #expect(stored.status == .completed)
        let untouched = try #require(try await harness.fixture.store.job(id: queuedAfterShutdown.id, workspaceID: workspaceID))
        #expect(untouched.status == .queued, "a stopping runner must not claim new work")
    }

    @Test("a job still running when the grace period ends goes back to the queue, not lost")
    func graceExpires() async throws {
        let gate = Gate()
        let harness = try await Harness(gate: gate, grace: .milliseconds(200))
        let (workspaceID, running) = try await harness.start(credits: 10)
        let job = try await harness.submit(workspaceID, worker: "gate")
        var started = gate.started.makeAsyncIterator()
        _ = await started.next()
        await harness.group.triggerGracefulShutdown()
        try await running.value
        let stored = try #require(try await harness.fixture.store.job(id: job.id, workspaceID: workspaceID))
        #expect(stored.status == .queued)
        #expect(
            try await harness.fixture.balances(workspaceID).cached == CreditBalance(balance: 10, reserved: 1),
            "a returned job keeps its reservation"
        )
    }

    @Test("a job submitted while a slot is free runs without a claim of its own: the submit's commit hands it over")
    func handOff() async throws {
        let claims = ClaimCounter()
        let harness = try await Harness(concurrency: 2, pollInterval: .seconds(600), claims: claims)
        let (workspaceID, running) = try await harness.start(credits: 100)
        defer { running.cancel() }
        // The runner's first round looks at the queue once, and finds it empty.
        let warmUp = try await harness.finished(try await harness.submit(workspaceID, worker: "echo"))
        let before = claims.value
        for n in 0..<20 {
            let done = try await harness.finished(try await harness.submit(workspaceID, worker: "echo", input: ["n": .integer(Int64(n))]))
            #expect(done.status == .completed && done.attempts == 1)
        }
        #expect(warmUp.status == .completed)
        #expect(claims.value == before, "\(claims.value - before) claims for jobs that were handed over")
    }

    @Test("queued jobs are claimed in the commits that finish the jobs before them, not in claims of their own")
    func claimOnFinish() async throws {
        let gate = Gate()
        let claims = ClaimCounter()
        let harness = try await Harness(gate: gate, concurrency: 1, pollInterval: .seconds(600), claims: claims)
        let (workspaceID, running) = try await harness.start(credits: 100)
        defer { running.cancel() }
        let blocker = try await harness.submit(workspaceID, worker: "gate")
        var started = gate.started.makeAsyncIterator()
        _ = await started.next()
        let before = claims.value
        var jobs: [Job] = []
        for n in 1...5 { jobs.append(try await harness.submit(workspaceID, worker: "record", input: ["n": .integer(Int64(n))])) }
        gate.releaseContinuation.yield()
        _ = try await harness.finished(blocker)
        for job in jobs { #expect(try await harness.finished(job).status == .completed) }
        #expect(harness.order.values == [1, 2, 3, 4, 5])
        #expect(claims.value == before, "the slot was busy: every queued job came with a finish")
    }

    @Test("a job whose runner vanished runs again after its lease expires")
    func leaseRecovery() async throws {
        let fixture = try await StoreFixture()
        let workspaceID = try await fixture.workspace(credits: 10)
        let job = try await fixture.store.submit(try fixture.submission(workspaceID, worker: "echo")).job
        // A runner that claims the job and dies without a word.
        #expect(try await fixture.claim(1, by: "vanished", lease: 0.2).count == 1)
        let harness = try await Harness(fixture: fixture)
        let running = Task { try await harness.group.run() }
        defer { running.cancel() }
        let done = try await harness.finished(job)
        #expect(done.status == .completed)
        #expect(done.attempts == 2)
        #expect(try await fixture.balances(workspaceID).cached == CreditBalance(balance: 9, reserved: 0))
    }
}

@Suite("Input files")
struct InputFileTests {
    @Test("a job reads its own workspace's files by their Seek URL, from the store; another workspace's or a foreign URL is nil")
    func ownFilesOnly() async throws {
        let directory = NSTemporaryDirectory() + "seek-inputs-\(UUID().uuidString)"
        let store = try LocalFileStore(directory: directory)
        let mine = try await store.put(workspaceID: "ws_a", jobID: nil, name: "in.png", contentType: "image/png", bytes: [1, 2, 3])
        let theirs = try await store.put(workspaceID: "ws_b", jobID: nil, name: "x.png", contentType: "image/png", bytes: [9])
        let source = StoredInputFiles(store: store, workspaceID: "ws_a")
        let signed = "https://seek.example.com/v1/files/\(mine.id)?expires=1&signature=ab"
        #expect(try await source.file(at: signed) == InputFile(name: "in.png", contentType: "image/png", bytes: [1, 2, 3]))
        #expect(try await source.file(at: "/v1/files/\(mine.id)") != nil)
        #expect(try await source.file(at: "/v1/files/\(theirs.id)") == nil, "another workspace's file")
        #expect(try await source.file(at: "https://example.com/cat.png") == nil, "not a Seek file URL")
    }
}
