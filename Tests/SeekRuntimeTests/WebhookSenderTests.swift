import Foundation
import Logging
import SeekCore
import SeekFetching
import SeekStore
import SeekTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@testable import SeekRuntime

/// A webhook sender on a fresh store, its attempts reported to the test as they are logged.
final class WebhookHarness: Sendable {
    let fixture: StoreFixture
    let signals = JobSignals()
    let addressGuard: AddressGuard
    let group: ServiceGroup
    let reports: AsyncStream<WebhookAttemptReport>

    init(
        _ configuration: WebhookConfiguration,
        resolver: any HostResolver = ScriptedResolver([:]),
        transport: any WebhookTransport = HTTPWebhookTransport()
    ) async throws {
        fixture = try await StoreFixture()
        let (reports, sink) = AsyncStream.makeStream(of: WebhookAttemptReport.self)
        self.reports = reports
        addressGuard = AddressGuard(resolver: resolver, allowPrivateTargets: configuration.allowPrivateTargets)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let sender = WebhookSender(
            store: fixture.store,
            signals: signals,
            claimant: "sender-test",
            addressGuard: addressGuard,
            transport: transport,
            configuration: configuration,
            observer: WebhookObserver { sink.yield($0) },
            logger: logger
        )
        group = ServiceGroup(configuration: .init(services: [sender], logger: logger))
    }

    /// Runs `body` with the sender running and a fresh workspace.
    static func running(
        _ configuration: WebhookConfiguration,
        resolver: any HostResolver = ScriptedResolver([:]),
        transport: any WebhookTransport = HTTPWebhookTransport(),
        _ body: (WebhookHarness, String) async throws -> Void
    ) async throws {
        let harness = try await WebhookHarness(configuration, resolver: resolver, transport: transport)
        let group = harness.group
        let task = Task { try await group.run() }
        defer { task.cancel() }
        try await body(harness, try await harness.fixture.workspace(credits: 10))
    }

    /// A job that ended with a webhook to `url`, its delivery queued.
    func queue(_ workspaceID: String, url: String) async throws -> Job {
        let job = try await fixture.jobWithWebhook(workspaceID, url: url)
        signals.webhooks.ring()
        return job
    }

    /// The next `count` logged attempts; fails the test if they do not come within `limit`.
    func attempts(_ count: Int, within limit: Duration = .seconds(30)) async throws -> [WebhookAttemptReport] {
        let reports = self.reports
        let collected = try? await withDeadline(limit) {
            var collected: [WebhookAttemptReport] = []
            for await report in reports {
                collected.append(report)
                if collected.count == count { break }
            }
            return collected
        }
        try #require(collected?.count == count, "expected \(count) webhook attempts within \(limit)")
        return collected ?? []
    }
}

private func testConfiguration(retries: [TimeInterval] = [], allowPrivate: Bool = true, timeout: Duration = .seconds(10)) -> WebhookConfiguration {
    WebhookConfiguration(retrySchedule: RetrySchedule(delays: retries), allowPrivateTargets: allowPrivate, timeout: timeout)
}

@Suite("The webhook sender")
struct WebhookSenderTests {
    @Test("delivers one POST of the stored bytes, signed both ways by the workspace's secret")
    func delivers() async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.close() }
        try await WebhookHarness.running(testConfiguration()) { harness, workspaceID in
            let job = try await harness.queue(workspaceID, url: "http://127.0.0.1:\(receiver.port)/hook?x=1")
            let report = try #require(try await harness.attempts(1).first)
            #expect(report.next == .delivered)
            #expect(report.firstAttemptLagSeconds != nil)

            let request = try #require(receiver.requests.first)
            let payload = try JSONParser.parse(request.body)
            #expect(payload["event"] == "job.cancelled" && payload["job_uuid"] == .string(job.id) && payload["status"] == "cancelled")
            let id = try #require(request.headers["webhook-id"])
            let timestamp = try #require(request.headers["webhook-timestamp"].flatMap { Int($0) })
            #expect(IDKind.whd.matches(id))
            #expect(abs(Double(timestamp) - Date().timeIntervalSince1970) < 60)
            let secret = try await harness.fixture.store.webhookSecrets(workspaceID: workspaceID).current
            #expect(
                request.headers["webhook-signature"] == WebhookSignature.standard(secrets: [secret], id: id, timestamp: timestamp, body: request.body)
            )
            #expect(
                request.headers["x-seekapi-signature"] == WebhookSignature.seekHeader(secrets: [secret], timestamp: timestamp, body: request.body)
            )
            #expect(request.headers["content-type"] == "application/json")

            let stored = try await harness.fixture.store.job(id: job.id, workspaceID: workspaceID)
            #expect(stored?.webhook?.state == .delivered && stored?.webhook?.attempts == 1)
            let log = try #require(try await harness.fixture.store.webhookAttempts(jobID: job.id, workspaceID: workspaceID))
            #expect(log.count == 1 && log.first?.statusCode == 200 && log.first?.error == nil)
        }
    }

    @Test("a failed attempt is retried on schedule with the same webhook-id, and the next success ends it")
    func retries() async throws {
        let receiver = try LoopbackReceiver { index, _ in index == 0 ? 500 : 204 }
        defer { receiver.close() }
        try await WebhookHarness.running(testConfiguration(retries: [0.3, 0.3])) { harness, workspaceID in
            let job = try await harness.queue(workspaceID, url: "http://127.0.0.1:\(receiver.port)/")
            let reports = try await harness.attempts(2)
            #expect(reports.map(\.next.isRetry) == [true, false])
            #expect(reports.last?.next == .delivered)
            #expect(reports.last?.firstAttemptLagSeconds == nil, "only a first attempt measures the lag")
            let requests = receiver.requests
            #expect(requests.count == 2)
            #expect(Set(requests.compactMap { $0.headers["webhook-id"] }).count == 1, "a retry changed the webhook-id")
            #expect(requests[1].receivedAt.timeIntervalSince(requests[0].receivedAt) >= 0.3)
            #expect(requests[0].body == requests[1].body)
            let log = try #require(try await harness.fixture.store.webhookAttempts(jobID: job.id, workspaceID: workspaceID))
            #expect(log.map(\.statusCode) == [500, 204])
            #expect(log.map(\.error) == ["HTTP 500", nil])
            #expect(try await harness.fixture.store.job(id: job.id, workspaceID: workspaceID)?.webhook?.attempts == 2)
        }
    }

    @Test("when every attempt fails the delivery ends failed after the last retry")
    func givesUp() async throws {
        let receiver = try LoopbackReceiver { _, _ in 503 }
        defer { receiver.close() }
        try await WebhookHarness.running(testConfiguration(retries: [0.1, 0.1])) { harness, workspaceID in
            let job = try await harness.queue(workspaceID, url: "http://127.0.0.1:\(receiver.port)/")
            let reports = try await harness.attempts(3)
            #expect(reports.map(\.next.isRetry) == [true, true, false])
            #expect(reports.last?.next == .failed)
            #expect(
                try await harness.fixture.store.job(id: job.id, workspaceID: workspaceID)?.webhook
                    == WebhookStatus(
                        url: "http://127.0.0.1:\(receiver.port)/",
                        state: .failed,
                        attempts: 3
                    )
            )
            #expect(receiver.requests.count == 3)
        }
    }

    @Test("a redirect is an unsuccessful answer and is never followed")
    func redirectsNotFollowed() async throws {
        let elsewhere = try LoopbackReceiver()
        defer { elsewhere.close() }
        let receiver = try LoopbackReceiver { _, _ in 302 }
        defer { receiver.close() }
        try await WebhookHarness.running(testConfiguration()) { harness, workspaceID in
            let job = try await harness.queue(workspaceID, url: "http://127.0.0.1:\(receiver.port)/")
            #expect(try await harness.attempts(1).first?.next == .failed)
            let log = try await harness.fixture.store.webhookAttempts(jobID: job.id, workspaceID: workspaceID)
            #expect(log?.first?.statusCode == 302)
            #expect(log?.first?.error == "HTTP 302; redirects are not followed")
            #expect(receiver.requests.count == 1, "the redirect was followed back to the same receiver")
            #expect(elsewhere.connections == 0)
        }
    }

    @Test("a receiver that does not answer within the timeout fails the attempt")
    func timesOut() async throws {
        let receiver = try LoopbackReceiver { _, _ in nil }
        defer { receiver.close() }
        try await WebhookHarness.running(testConfiguration(timeout: .milliseconds(500))) { harness, workspaceID in
            let job = try await harness.queue(workspaceID, url: "http://127.0.0.1:\(receiver.port)/")
            let report = try #require(try await harness.attempts(1).first)
            #expect(report.result == .notAnswered("no response within 0.5 s"))
            #expect(report.durationSeconds < 5)
            #expect(
                try await harness.fixture.store.webhookAttempts(jobID: job.id, workspaceID: workspaceID)?.first?.error == "no response within 0.5 s"
            )
        }
    }

    @Test("a name is connected at the address its check resolved, looked up once per attempt")
    func pinsResolvedAddress() async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.close() }
        // hooks.test exists only in this resolver: the connection can only come from the pinned address.
        let resolver = ScriptedResolver(["hooks.test": [[.v4(0x7F00_0001)]]])
        try await WebhookHarness.running(testConfiguration(), resolver: resolver) { harness, workspaceID in
            _ = try await harness.queue(workspaceID, url: "http://hooks.test:\(receiver.port)/in")
            #expect(try await harness.attempts(1).first?.next == .delivered)
            #expect(receiver.requests.first?.headers["host"] == "hooks.test:\(receiver.port)")
            #expect(resolver.lookups(of: "hooks.test") == 1)
        }
    }

    @Test("DNS rebinding: a host that was public when checked and points at loopback later never reaches loopback")
    func rebinding() async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.close() }
        let loopback = IPAddress.v4(0x7F00_0001)
        let publicAddress = IPAddress.v4(0x5DB8_D822)  // 93.184.216.34
        let resolver = ScriptedResolver([
            // Checked at submit as public, then loopback when the delivery looks again.
            "rebind-late.test": [[publicAddress], [loopback]],
            // Public on the attempt's own lookup, loopback for any second lookup a client might make.
            "rebind-now.test": [[publicAddress], [loopback]],
            // Both at once.
            "rebind-both.test": [[publicAddress, loopback]],
        ])
        // The public address is pinned, never dialled: a test sends nothing beyond this machine.
        let transport = PinRecorder()
        try await WebhookHarness.running(testConfiguration(allowPrivate: false, timeout: .seconds(1)), resolver: resolver, transport: transport) {
            harness,
            workspaceID in
            let late = "http://rebind-late.test:\(receiver.port)/"
            try await harness.addressGuard.checkAtSubmit(late)
            var jobs: [String: String] = [:]
            for url in [late, "http://rebind-now.test:\(receiver.port)/", "http://rebind-both.test:\(receiver.port)/"] {
                jobs[url] = try await harness.queue(workspaceID, url: url).id
            }
            let reports = try await harness.attempts(3)
            #expect(reports.allSatisfy { !$0.result.succeeded })
            #expect(receiver.connections == 0, "a delivery reached the loopback listener")
            func error(_ url: String) async throws -> String? {
                try await harness.fixture.store.webhookAttempts(jobID: jobs[url] ?? "", workspaceID: workspaceID)?.first?.error
            }
            // The delivery log says the host is not public, never what it resolved to.
            for url in [late, "http://rebind-both.test:\(receiver.port)/"] {
                let logged = try await error(url)
                #expect(logged?.contains("does not resolve to a public address") == true, "\(logged ?? "nil")")
                #expect(logged?.contains("127.0.0.1") == false, "\(logged ?? "nil")")
            }
            // The one attempt that passed the guard went to the address it checked, looked up once; the others
            // reached no transport at all.
            #expect(transport.pins.map { "\($0.host) \($0.address)" } == ["rebind-now.test \(publicAddress)"])
            #expect(resolver.lookups(of: "rebind-now.test") == 1)
        }
    }

    @Test(
        "private targets in any spelling are refused at delivery without a connection",
        arguments: ["127.0.0.1", "2130706433", "0x7f.1", "017700000001", "127.1", "[::ffff:127.0.0.1]", "localhost"]
    )
    func refusesPrivate(_ host: String) async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.close() }
        try await WebhookHarness.running(testConfiguration(allowPrivate: false)) { harness, workspaceID in
            let job = try await harness.queue(workspaceID, url: "http://\(host):\(receiver.port)/")
            #expect(try await harness.attempts(1).first?.next == .failed)
            #expect(receiver.connections == 0)
            let error = try await harness.fixture.store.webhookAttempts(jobID: job.id, workspaceID: workspaceID)?.first?.error
            #expect(error?.contains("only delivered to public addresses") == true, "\(error ?? "nil")")
        }
    }
}

extension WebhookNextStep {
    var isRetry: Bool {
        if case .retry = self { return true }
        return false
    }
}

/// A transport that dials nothing: it records where each attempt was pinned and answers that nobody replied.
final class PinRecorder: WebhookTransport {
    private let recorded = Mutex<[PinnedAddress]>([])

    var pins: [PinnedAddress] { recorded.withLock { $0 } }

    func post(
        url: String,
        pinned: PinnedAddress,
        headers: [(name: String, value: String)],
        body: [UInt8],
        timeout: Duration
    ) async
        -> WebhookAttemptResult
    {
        recorded.withLock { $0.append(pinned) }
        return .notAnswered("connection to \(pinned.address) failed: the test's transport dials nothing")
    }

    func shutdown() async {}
}
