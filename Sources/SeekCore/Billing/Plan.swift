/// A plan as data: its limits and how credits reach the workspace.
public struct Plan: Sendable, Equatable {
    public var name: String
    /// Sustained requests per second per API key; nil where the workspace sets its own (Enterprise).
    public var ratePerSecond: Int?
    public var burst: Int?
    /// Credits granted each calendar month (UTC); unused ones do not roll over.
    public var monthlyGrant: Int
    public var allowsCreditLine: Bool

    public static let free = Plan(name: "free", ratePerSecond: 10, burst: 20, monthlyGrant: 100, allowsCreditLine: false)
    public static let pro = Plan(name: "pro", ratePerSecond: 50, burst: 100, monthlyGrant: 0, allowsCreditLine: false)
    public static let enterprise = Plan(name: "enterprise", ratePerSecond: nil, burst: nil, monthlyGrant: 0, allowsCreditLine: true)

    public static let all: [Plan] = [.free, .pro, .enterprise]

    public static func named(_ name: String) -> Plan? { all.first { $0.name == name } }
}
