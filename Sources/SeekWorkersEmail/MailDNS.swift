import CAres
import Foundation
import SeekCore

/// Where mail for a domain goes, as DNS says (RFC 5321 §5.1).
public enum MailRoute: Sendable, Equatable {
    /// MX hosts, most preferred first.
    case exchangers([String])
    /// No MX, but an A or AAAA record: the domain itself takes mail (the implicit MX).
    case implicit
    /// RFC 7505's null MX: the domain says it takes no mail.
    case nullMX
    /// The domain does not exist (NXDOMAIN).
    case noDomain
    /// The domain exists, with neither MX nor address records.
    case noRecords
    /// The lookup failed (timeout, SERVFAIL, refused): nothing is known.
    case failed(String)

    public var acceptsMail: Bool? {
        switch self {
        case .exchangers, .implicit: return true
        case .nullMX, .noDomain, .noRecords: return false
        case .failed: return nil
        }
    }

    /// The hosts to talk SMTP to.
    public func hosts(domain: String) -> [String] {
        switch self {
        case let .exchangers(hosts): return hosts
        case .implicit: return [domain]
        default: return []
        }
    }
}

/// MX lookups through c-ares, a real resolver: the system's resolv.conf, or the servers `SEEK_DNS_SERVER`
/// names (`host:port`, comma-separated). Each call blocks: run it off the cooperative pool.
public struct MailDNS: Sendable {
    public var servers: String?
    public var timeout: Duration = .seconds(3)
    public var tries = 2

    private static let started: Void = { _ = ares_library_init(ARES_LIB_INIT_ALL) }()

    public init(servers: String? = ProcessInfo.processInfo.environment["SEEK_DNS_SERVER"]) {
        _ = Self.started
        self.servers = servers.flatMap { $0.isEmpty ? nil : $0 }
    }

    public func route(for domain: String) -> MailRoute {
        let mx = query(domain, type: Int32(SEEK_DNS_MX))
        switch mx.status {
        case ARES_SUCCESS:
            var replies: UnsafeMutablePointer<ares_mx_reply>?
            guard ares_parse_mx_reply(mx.answer, mx.length, &replies) == ARES_SUCCESS else { return .failed("the MX answer does not parse") }
            defer { ares_free_data(replies) }
            var exchangers: [(priority: UInt16, host: String)] = []
            var cursor = replies
            while let reply = cursor {
                exchangers.append((reply.pointee.priority, reply.pointee.host.map { String(cString: $0) } ?? ""))
                cursor = reply.pointee.next
            }
            if exchangers.count == 1, exchangers[0].host.isEmpty || exchangers[0].host == "." { return .nullMX }
            let hosts = exchangers.filter { !$0.host.isEmpty && $0.host != "." }.sorted { $0.priority < $1.priority }.map(\.host)
            return hosts.isEmpty ? .nullMX : .exchangers(hosts)
        case ARES_ENODATA:
            // No MX: an A or AAAA record makes the domain its own exchanger.
            for type in [Int32(SEEK_DNS_A), Int32(SEEK_DNS_AAAA)] {
                let answer = query(domain, type: type)
                if answer.status == ARES_SUCCESS, seek_dns_address_count(answer.answer, answer.length, type) > 0 { return .implicit }
                if answer.status != ARES_SUCCESS, answer.status != ARES_ENODATA, answer.status != ARES_ENOTFOUND {
                    return .failed(Self.describe(answer.status))
                }
            }
            return .noRecords
        case ARES_ENOTFOUND: return .noDomain
        default: return .failed(Self.describe(mx.status))
        }
    }

    /// The first address of `host` (A, then AAAA), to connect to a mail exchanger by the same resolver.
    public func address(of host: String) -> String? {
        for type in [Int32(SEEK_DNS_A), Int32(SEEK_DNS_AAAA)] {
            let answer = query(host, type: type)
            guard answer.status == ARES_SUCCESS else { continue }
            var text = [CChar](repeating: 0, count: 64)
            if seek_dns_first_address(answer.answer, answer.length, type, &text, 64) == 0 { return String(cString: text) }
        }
        return nil
    }

    private struct Answer {
        var status: Int32
        var answer: [UInt8]
        var length: Int32 { Int32(answer.count) }
    }

    private func query(_ name: String, type: Int32) -> Answer {
        let milliseconds = Int32(clamping: timeout.milliseconds)
        let raw =
            servers.map { servers in seek_dns_query(name, type, servers, milliseconds, Int32(tries)) }
            ?? seek_dns_query(name, type, nil, milliseconds, Int32(tries))
        defer { free(raw.answer) }
        let bytes = raw.answer.map { Array(UnsafeBufferPointer(start: $0, count: Int(raw.length))) } ?? []
        return Answer(status: raw.status, answer: bytes)
    }

    private static func describe(_ status: Int32) -> String {
        String(cString: ares_strerror(status))
    }
}
