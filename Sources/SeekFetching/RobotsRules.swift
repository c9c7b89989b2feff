/// A robots.txt, read as RFC 9309 says: the group whose `user-agent` matches our product token (else the
/// `*` group), and in it the longest matching `allow` or `disallow` path pattern (`*` any run, `$` the end);
/// on a tie `allow` wins. Only the first 500 KiB count.
public struct RobotsRules: Sendable, Equatable {
    struct Rule: Sendable, Equatable {
        var allow: Bool
        var pattern: [UInt8]
    }

    private var rules: [Rule]

    /// Everything allowed: a robots.txt that is missing (4xx) or empty.
    public static let allowAll = RobotsRules(rules: [])
    /// Nothing allowed: a host whose robots.txt cannot be read (5xx, unreachable), as RFC 9309 asks.
    public static let disallowAll = RobotsRules(rules: [Rule(allow: false, pattern: Array("/".utf8))])

    /// The bytes parsed, at most.
    public static let maxBytes = 500 * 1024

    private init(rules: [Rule]) {
        self.rules = rules
    }

    /// The rules of `text` for a crawler whose product token is `agent` (`Seek` for `Seek/1.0 (+url)`).
    public init(parsing text: [UInt8], agent: String) {
        let token = agent.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }.lowercased()
        var named: [Rule] = []
        var anyone: [Rule] = []
        var matchedNamed = false
        // Lines of one group: its user-agents, then its rules; a user-agent after a rule opens a new group.
        var agents: [String] = []
        var groupRules: [Rule] = []
        var inRules = false
        func close() {
            if agents.contains(token), !token.isEmpty {
                matchedNamed = true
                named += groupRules
            } else if agents.contains("*") {
                anyone += groupRules
            }
        }
        for raw in text.prefix(Self.maxBytes).split(omittingEmptySubsequences: false, whereSeparator: { $0 == 0x0A || $0 == 0x0D }) {
            let line = raw.prefix { $0 != UInt8(ascii: "#") }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let key = String(decoding: line[..<colon], as: UTF8.self).trimmingWhitespace.lowercased()
            let value = Array(String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingWhitespace.utf8)
            switch key {
            case "user-agent":
                if inRules {
                    close()
                    agents = []
                    groupRules = []
                    inRules = false
                }
                agents.append(String(decoding: value, as: UTF8.self).lowercased().prefix { $0 != "/" && $0 != " " }.description)
            case "allow", "disallow":
                inRules = true
                // An empty `disallow` allows everything: it adds no rule.
                if !value.isEmpty { groupRules.append(Rule(allow: key == "allow", pattern: value)) }
            default:
                continue
            }
        }
        close()
        self.rules = matchedNamed ? named : anyone
    }

    /// Whether the path and query of a URL (`/search?city=Lyon`) may be fetched.
    public func allows(_ pathAndQuery: String) -> Bool {
        let path = Array((pathAndQuery.isEmpty ? "/" : pathAndQuery).utf8)
        if path == Array("/robots.txt".utf8) { return true }
        var best: (length: Int, allow: Bool)?
        for rule in rules where Self.matches(rule.pattern, path) {
            let length = rule.pattern.count
            if best == nil || length > best!.length || (length == best!.length && rule.allow) { best = (length, rule.allow) }
        }
        return best?.allow ?? true
    }

    /// `*` matches any run of bytes, a final `$` the end of the path; anything else matches a prefix.
    static func matches(_ pattern: [UInt8], _ path: [UInt8]) -> Bool {
        let anchored = pattern.last == UInt8(ascii: "$")
        let body = anchored ? Array(pattern.dropLast()) : pattern
        // Positions in `path` the pattern can have reached so far; one pass per pattern byte.
        var reachable: Set<Int> = [0]
        for byte in body {
            if byte == UInt8(ascii: "*") {
                guard let low = reachable.min() else { return false }
                reachable = Set(low...path.count)
            } else {
                reachable = Set(reachable.compactMap { $0 < path.count && path[$0] == byte ? $0 + 1 : nil })
            }
            if reachable.isEmpty { return false }
        }
        return anchored ? reachable.contains(path.count) : true
    }
}
