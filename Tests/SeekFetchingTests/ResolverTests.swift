import Foundation
import SeekCore
import Testing

@testable import SeekFetching

#if canImport(Glibc)
import Glibc
#endif

/// A UDP socket on 127.0.0.1 that nobody reads: a name server that never answers.
final class SilentNameServer {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound else { throw POSIXError(.EADDRNOTAVAIL) }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(descriptor) }
}

@Suite("The c-ares resolver")
struct CAresResolverTests {
    /// A resolver that asks only `silent`, with the given timeout.
    static func asking(_ silent: SilentNameServer, timeout: Duration = .seconds(1), maxInFlight: Int = 512) -> CAresResolver {
        var settings = CAresResolver.Settings(servers: "127.0.0.1:\(silent.port)")
        settings.timeout = timeout
        settings.tries = 2
        settings.maxInFlight = maxInFlight
        return CAresResolver(settings)
    }

    @Test("an address resolves to itself; localhost comes from /etc/hosts without asking DNS")
    func literalsAndHostsFile() async throws {
        let silent = try SilentNameServer()
        let resolver = Self.asking(silent)
        #expect(try await resolver.addresses(of: "127.0.0.1") == [.v4(0x7F00_0001)])
        let local = try await resolver.addresses(of: "localhost")
        #expect(!local.isEmpty && local.allSatisfy { !AddressPolicy.isPublic($0) })
        await resolver.shutdown()
    }

    @Test("a name server that never answers: lookups time out, those beyond the cap are refused at once, none is stuck")
    func silentServer() async throws {
        let silent = try SilentNameServer()
        let resolver = Self.asking(silent, maxInFlight: 100)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 0..<150 {
                group.addTask {
                    do {
                        _ = try await resolver.addresses(of: "host\(index).stall.test")
                        return "answered"
                    } catch {
                        return String(describing: error)
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0.contains("timed out") }.count == 100)
        #expect(outcomes.filter { $0.contains("too many lookups in flight") }.count == 50)
        // Every slot came back: the next lookups are admitted and answered.
        #expect(try await resolver.addresses(of: "localhost").isEmpty == false)
        await #expect(throws: (any Error).self) { try await resolver.addresses(of: "after.stall.test") }
        await resolver.shutdown()
    }

    @Test("lookups in flight when the resolver stops fail instead of waiting forever")
    func shutdownAnswersEveryone() async throws {
        let silent = try SilentNameServer()
        let resolver = Self.asking(silent, timeout: .seconds(60))
        let lookup = Task { try await resolver.addresses(of: "never.stall.test") }
        // Stop once the lookup is in flight; a lookup submitted after the stop is refused at once.
        while resolver.inFlightCount() == 0 { await Task.yield() }
        await resolver.shutdown()
        await #expect(throws: (any Error).self) { try await lookup.value }
        await #expect(throws: (any Error).self) { try await resolver.addresses(of: "later.stall.test") }
    }
}

@Suite("The answer cache")
struct AnswerCacheTests {
    let address = IPAddress.v4(0x5DB8_D822)

    @Test("an answer is kept for its TTL, at most the cap, and not at all with a TTL of zero")
    func keepsForTTL() {
        var settings = AnswerCache.Settings()
        settings.maxTTL = .seconds(300)
        var cache = AnswerCache(settings)
        let start = ContinuousClock.now
        cache.store([address], for: "a.example", ttl: .seconds(5), now: start)
        cache.store([address], for: "long.example", ttl: .seconds(86_400), now: start)
        cache.store([address], for: "zero.example", ttl: .zero, now: start)
        #expect(cache.answer(for: "a.example", now: start + .seconds(4)) == [address])
        #expect(cache.answer(for: "a.example", now: start + .seconds(5)) == nil)
        #expect(cache.answer(for: "long.example", now: start + .seconds(299)) == [address])
        #expect(cache.answer(for: "long.example", now: start + .seconds(301)) == nil)
        #expect(cache.answer(for: "zero.example", now: start) == nil)
    }

    @Test("a full cache drops the expired first, then those closest to expiring")
    func bounded() {
        var settings = AnswerCache.Settings()
        settings.capacity = 8
        var cache = AnswerCache(settings)
        let start = ContinuousClock.now
        for index in 0..<8 { cache.store([address], for: "n\(index)", ttl: .seconds(10 + index), now: start) }
        #expect(cache.count == 8)
        // Past n0's and n1's expiry: those two go, the rest stay.
        cache.store([address], for: "new", ttl: .seconds(60), now: start + .seconds(11.5))
        #expect(cache.count == 7)
        #expect(cache.answer(for: "n0", now: start) == nil && cache.answer(for: "n2", now: start) == [address])
        // Full of live answers: the quarter closest to expiring (n2, n3) makes room.
        cache.store([address], for: "more", ttl: .seconds(60), now: start + .seconds(11.5))
        cache.store([address], for: "most", ttl: .seconds(60), now: start + .seconds(11.5))
        #expect(cache.count <= 8)
        #expect(cache.answer(for: "n2", now: start) == nil && cache.answer(for: "n7", now: start) == [address])
        #expect(cache.answer(for: "most", now: start + .seconds(12)) == [address])
    }
}
