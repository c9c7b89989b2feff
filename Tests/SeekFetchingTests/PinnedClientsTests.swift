import AsyncHTTPClient
import Foundation
import SeekCore
import SeekTestSupport
import Synchronization
import Testing

@testable import SeekFetching

/// Wildcard DNS gives every delivery a new host name; the clients kept for them must stay bounded, and a
/// client must never be closed under a request that uses it.
@Suite("Pinned HTTP clients")
struct PinnedClientsTests {
    static func get(_ clients: PinnedClients, host: String, port: Int) async throws -> UInt {
        let pinned = PinnedAddress(host: host, address: .v4(0x7F00_0001))
        return try await clients.withClient(for: pinned) { client in
            let response = try await client.execute(HTTPClientRequest(url: "http://\(host):\(port)/hook"), timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1024)
            return response.status.code
        }
    }

    /// Runs `body` and shuts the clients down whatever happens: a client dropped open is a trap in AsyncHTTPClient.
    static func using(_ clients: PinnedClients, _ body: () async throws -> Void) async throws {
        let outcome: Result<Void, any Error>
        do {
            try await body()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await clients.shutdown()
        try outcome.get()
    }

    @Test("200 host names, one after another, leave at most the bound open")
    func boundedOneByOne() async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.close() }
        let clients = PinnedClients(connectTimeout: .seconds(5), readTimeout: .seconds(5), connectionsPerHost: 4, maxClients: 8)
        try await Self.using(clients) {
            for index in 0..<200 {
                let code = try await Self.get(clients, host: "h\(index).wildcard.test", port: receiver.port)
                #expect(code == 200)
                #expect(clients.count <= 8)
            }
        }
        #expect(receiver.requests.count == 200)
    }

    @Test("more host names in flight than the bound: every request completes, then the set shrinks to the bound")
    func boundedUnderConcurrency() async throws {
        // Each answer waits until all 32 requests have arrived, so all 32 clients are in use at once.
        let clients = PinnedClients(connectTimeout: .seconds(5), readTimeout: .seconds(30), connectionsPerHost: 4, maxClients: 4)
        let barrier = Barrier(count: 32)
        let openWhileAllInUse = Mutex(0)
        let receiver = try LoopbackReceiver { _, _ in
            if barrier.arriveAndWait() { openWhileAllInUse.withLock { $0 = clients.count } }
            return 200
        }
        defer { receiver.close() }
        try await Self.using(clients) {
            let codes = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<32 { group.addTask { try await Self.get(clients, host: "c\(index).wildcard.test", port: receiver.port) } }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(codes == Array(repeating: 200, count: 32))
            // Over the bound while every client is in use: the bound waits for them instead of cancelling them.
            #expect(openWhileAllInUse.withLock { $0 } > 4)
            #expect(clients.count <= 4)
        }
    }
}

/// Threads that wait for each other: the last to arrive wakes the rest (and is told it was last).
final class Barrier: Sendable {
    private let count: Int
    private let arrived = Mutex(0)
    private let released = DispatchSemaphore(value: 0)

    init(count: Int) {
        self.count = count
    }

    /// Waits (at most 30 s, so a broken test fails instead of hanging) until `count` threads have arrived.
    func arriveAndWait() -> Bool {
        let position = arrived.withLock { arrived in
            arrived += 1
            return arrived
        }
        guard position < count else {
            for _ in 1..<count { released.signal() }
            return true
        }
        _ = released.wait(timeout: .now() + 30)
        return false
    }
}
