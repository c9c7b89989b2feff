import CAres
import Foundation
import SeekCore
import Synchronization

/// The resolver Seek connects with (webhooks, fetches): c-ares, driven by one thread of its own.
///
/// getaddrinfo blocks a thread per lookup and cannot be stopped, so a name server that never answers used to
/// fill the threads it ran on, after which every lookup failed. Here every lookup is a pair of queries (A and
/// AAAA) on one c-ares channel: a silent server costs a timer and a socket, never a thread, each query gives
/// up after `timeout` × `tries`, and beyond `maxInFlight` lookups at once a new one is refused at once rather
/// than queued. /etc/hosts is read first, as getaddrinfo does; answers are kept for their TTL.
public final class CAresResolver: HostResolver, @unchecked Sendable {
    // @unchecked: `channel` is touched by the loop thread only; every other field is a constant or a Mutex.

    public struct Settings: Sendable {
        /// "host:port,…"; nil for the name servers of /etc/resolv.conf.
        public var servers: String?
        /// How long one try waits for an answer; c-ares doubles it on each retry.
        public var timeout: Duration = .seconds(2)
        public var tries = 2
        public var maxInFlight = 512
        public var cache = AnswerCache.Settings()

        /// The servers `SEEK_DNS_SERVER` names, as the email validator asks them too.
        public init(servers: String? = ProcessInfo.processInfo.environment["SEEK_DNS_SERVER"]) {
            self.servers = servers.flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    struct LookupFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// The process's resolver, started on first use.
    public static let shared = CAresResolver(Settings())

    private static let started: Void = { _ = ares_library_init(ARES_LIB_INIT_ALL) }()

    private struct Queue {
        var submitted: [Lookup] = []
        var inFlight = 0
        var stopping = false
    }

    private let settings: Settings
    private nonisolated(unsafe) var channel: ares_channel?
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let queue = Mutex(Queue())
    private let cache: Mutex<AnswerCache>
    private let stopped = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let failure: String?

    public init(_ settings: Settings) {
        _ = Self.started
        self.settings = settings
        cache = Mutex(AnswerCache(settings.cache))
        var ends: [Int32] = [-1, -1]
        _ = seek_dns_wake_pipe(&ends)
        (wakeRead, wakeWrite) = (ends[0], ends[1])
        var made: ares_channel?
        let status =
            settings.servers.map { servers in
                seek_dns_channel(&made, servers, Int32(clamping: settings.timeout.milliseconds), Int32(settings.tries))
            } ?? seek_dns_channel(&made, nil, Int32(clamping: settings.timeout.milliseconds), Int32(settings.tries))
        channel = status == ARES_SUCCESS ? made : nil
        failure = status == ARES_SUCCESS ? nil : "the resolver did not start: \(String(cString: ares_strerror(status)))"
        if channel != nil {
            let thread = Thread { [self] in run() }
            thread.name = "seek-dns"
            thread.start()
        }
    }

    public func addresses(of host: String) async throws -> [IPAddress] {
        if let literal = AddressPolicy.literal(host) { return [literal] }
        let name = host.lowercased().trimmingTrailingDot
        if let failure { throw LookupFailed(description: failure) }
        if let cached = cache.withLock({ $0.answer(for: name, now: .now) }) { return cached }
        let answer = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Answer, any Error>) in
            let lookup = Lookup(name: name, continuation: continuation)
            let admitted = queue.withLock { queue -> Bool in
                guard !queue.stopping, queue.inFlight < settings.maxInFlight else { return false }
                queue.inFlight += 1
                queue.submitted.append(lookup)
                return true
            }
            guard admitted else {
                continuation.resume(throwing: LookupFailed(description: "too many lookups in flight (\(settings.maxInFlight))"))
                return
            }
            wake()
        }
        cache.withLock { $0.store(answer.addresses, for: name, ttl: answer.ttl, now: .now) }
        return answer.addresses
    }

    /// Lookups admitted and not yet answered.
    func inFlightCount() -> Int { queue.withLock { $0.inFlight } }

    /// Stops the loop; lookups still in flight fail.
    public func shutdown() async {
        guard failure == nil else { return }
        await withCheckedContinuation { continuation in
            stopped.withLock { $0 = continuation }
            queue.withLock { $0.stopping = true }
            wake()
        }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    // MARK: The loop thread

    private func run() {
        guard let channel else { return }
        while true {
            seek_dns_turn(channel, wakeRead, 1000)
            let (submitted, stopping) = queue.withLock { queue in
                defer { queue.submitted.removeAll() }
                return (queue.submitted, queue.stopping)
            }
            for lookup in submitted { start(lookup, on: channel) }
            if stopping { break }
        }
        // Destroying the channel answers every query still in flight with ARES_EDESTRUCTION.
        ares_destroy(channel)
        self.channel = nil
        close(wakeRead)
        close(wakeWrite)
        stopped.withLock { $0?.resume() }
    }

    private func start(_ lookup: Lookup, on channel: ares_channel) {
        var bytes = [UInt8](repeating: 0, count: 16 * Lookup.maxAddresses)
        for (family, make) in [(AF_INET, Lookup.v4), (AF_INET6, Lookup.v6)] {
            let count = seek_dns_hosts_file(channel, lookup.name, family, &bytes, Int32(Lookup.maxAddresses))
            for index in 0..<Int(count) { lookup.addresses.append(make(bytes[(16 * index)..<(16 * index + 16)])) }
        }
        if !lookup.addresses.isEmpty {
            lookup.ttl = settings.cache.hostsFileTTL
            finish(lookup)
            return
        }
        lookup.remaining = 2
        for type in [Int32(SEEK_DNS_A), Int32(SEEK_DNS_AAAA)] {
            let query = Unmanaged.passRetained(Query(lookup: lookup, type: type, resolver: self))
            ares_search(channel, lookup.name, Int32(SEEK_DNS_CLASS_IN), type, Self.answered, query.toOpaque())
        }
    }

    /// c-ares' callback, on the loop thread (or inside ares_search, when a query fails at once).
    private static let answered: ares_callback = { argument, status, _, answer, length in
        guard let argument else { return }
        let query = Unmanaged<Query>.fromOpaque(argument).takeRetainedValue()
        query.resolver.answered(query, status: status, answer: answer, length: length)
    }

    private func answered(_ query: Query, status: Int32, answer: UnsafeMutablePointer<UInt8>?, length: Int32) {
        let lookup = query.lookup
        lookup.statuses.append(status)
        if status == ARES_SUCCESS, let answer {
            var bytes = [UInt8](repeating: 0, count: 16 * Lookup.maxAddresses)
            var ttls = [Int32](repeating: 0, count: Lookup.maxAddresses)
            let count = seek_dns_addresses(answer, length, query.type, &bytes, &ttls, Int32(Lookup.maxAddresses))
            let make = query.type == Int32(SEEK_DNS_AAAA) ? Lookup.v6 : Lookup.v4
            for index in 0..<max(0, Int(count)) {
                lookup.addresses.append(make(bytes[(16 * index)..<(16 * index + 16)]))
                lookup.ttl = min(lookup.ttl, .seconds(max(0, Int(ttls[index]))))
            }
        }
        lookup.remaining -= 1
        if lookup.remaining == 0 { finish(lookup) }
    }

    private func finish(_ lookup: Lookup) {
        queue.withLock { $0.inFlight -= 1 }
        if lookup.addresses.isEmpty {
            lookup.continuation.resume(throwing: LookupFailed(description: Self.describe(lookup.statuses, name: lookup.name)))
        } else {
            lookup.continuation.resume(returning: Answer(addresses: lookup.addresses, ttl: lookup.ttl))
        }
    }

    private static func describe(_ statuses: [Int32], name: String) -> String {
        if statuses.contains(ARES_ETIMEOUT) { return "the lookup of \(name) timed out" }
        if statuses.allSatisfy({ $0 == ARES_ENOTFOUND }) { return "\(name) does not exist" }
        if statuses.allSatisfy({ $0 == ARES_ENOTFOUND || $0 == ARES_ENODATA || $0 == ARES_SUCCESS }) { return "\(name) has no address" }
        let failed = statuses.first { $0 != ARES_SUCCESS && $0 != ARES_ENODATA && $0 != ARES_ENOTFOUND } ?? ARES_ESERVFAIL
        return "the lookup of \(name) failed: \(String(cString: ares_strerror(failed)))"
    }
}

private struct Answer: Sendable {
    let addresses: [IPAddress]
    let ttl: Duration
}

/// One host being looked up: its two queries' answers gather here. Handed to the loop thread through the
/// queue's lock, then touched by that thread only.
private final class Lookup: @unchecked Sendable {
    static let maxAddresses = 32

    let name: String
    let continuation: CheckedContinuation<Answer, any Error>
    var addresses: [IPAddress] = []
    var ttl: Duration = .seconds(Int64.max / 1_000_000_000)
    var statuses: [Int32] = []
    var remaining = 0

    init(name: String, continuation: CheckedContinuation<Answer, any Error>) {
        self.name = name
        self.continuation = continuation
    }

    static func v4(_ bytes: ArraySlice<UInt8>) -> IPAddress {
        .v4(bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    static func v6(_ bytes: ArraySlice<UInt8>) -> IPAddress { .v6(Array(bytes)) }
}

/// One of a lookup's queries, passed through c-ares as its callback's argument.
private final class Query {
    let lookup: Lookup
    let type: Int32
    let resolver: CAresResolver

    init(lookup: Lookup, type: Int32, resolver: CAresResolver) {
        (self.lookup, self.type, self.resolver) = (lookup, type, resolver)
    }
}

/// Answers kept for their TTL (at most `maxTTL`), up to `capacity` names: beyond it the expired go first,
/// then those closest to expiring.
public struct AnswerCache: Sendable {
    public struct Settings: Sendable {
        public var capacity = 10_000
        public var maxTTL: Duration = .seconds(300)
        /// /etc/hosts has no TTL; it is read again after this long.
        public var hostsFileTTL: Duration = .seconds(60)
        public init() {}
    }

    private struct Entry {
        let addresses: [IPAddress]
        let expires: ContinuousClock.Instant
    }

    private let settings: Settings
    private var entries: [String: Entry] = [:]

    public init(_ settings: Settings) {
        self.settings = settings
    }

    public var count: Int { entries.count }

    public func answer(for name: String, now: ContinuousClock.Instant) -> [IPAddress]? {
        guard let entry = entries[name], entry.expires > now else { return nil }
        return entry.addresses
    }

    public mutating func store(_ addresses: [IPAddress], for name: String, ttl: Duration, now: ContinuousClock.Instant) {
        let kept = min(ttl, settings.maxTTL)
        guard kept > .zero, !addresses.isEmpty else { return }
        if entries.count >= settings.capacity, entries[name] == nil { makeRoom(now: now) }
        entries[name] = Entry(addresses: addresses, expires: now + kept)
    }

    private mutating func makeRoom(now: ContinuousClock.Instant) {
        entries = entries.filter { $0.value.expires > now }
        guard entries.count >= settings.capacity else { return }
        // Still full of live answers: drop the quarter closest to expiring, so this runs once per many stores.
        let dropped = entries.sorted { $0.value.expires < $1.value.expires }.prefix(max(1, settings.capacity / 4))
        for (name, _) in dropped { entries[name] = nil }
    }
}
