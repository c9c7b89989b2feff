import SeekCore
import SeekFetching
import SeekRuntime
import Synchronization

/// A DNS server that answers from a script: each host's answers in turn, the last one repeated.
/// Plays rebinding attacks (public first, loopback next) and names the system resolver does not know.
public final class ScriptedResolver: HostResolver {
    struct NoAnswer: Error {}

    private let script: Mutex<[String: [[IPAddress]]]>
    private let log = Mutex<[String]>([])

    public init(_ script: [String: [[IPAddress]]]) {
        self.script = Mutex(script)
    }

    public func addresses(of host: String) async throws -> [IPAddress] {
        log.withLock { $0.append(host) }
        let answer = script.withLock { script -> [IPAddress]? in
            guard var answers = script[host], let first = answers.first else { return nil }
            if answers.count > 1 { answers.removeFirst() }
            script[host] = answers
            return first
        }
        guard let answer else { throw NoAnswer() }
        return answer
    }

    /// How many times `host` was looked up.
    public func lookups(of host: String) -> Int {
        log.withLock { $0.filter { $0 == host }.count }
    }
}
