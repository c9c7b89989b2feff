import Foundation

/// A calendar month in UTC, the period of a plan's grant: `2026-03`.
public struct UTCMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init(_ date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        year = parts.year!
        month = parts.month!
    }

    public var description: String { String(format: "%04d-%02d", year, month) }

    public static func < (lhs: UTCMonth, rhs: UTCMonth) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }
}
