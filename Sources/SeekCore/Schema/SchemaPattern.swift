import Foundation

/// A `pattern` or `patternProperties` key, compiled once.
///
/// Most schema patterns are a run of characters and classes with quantifiers (`^[a-z0-9-]{3,40}$`). Those are
/// matched by `SimplePattern`, an automaton over Unicode scalars with ECMA-262's meaning for `\d`, `\w`, `\s`,
/// `.` and `$`. Anything else (groups, alternation, assertions, properties) goes to ICU through
/// NSRegularExpression, which is several times slower per match.
final class SchemaPattern: @unchecked Sendable {
    // NSRegularExpression is immutable once built and documented as safe to use from many threads.
    let source: String
    private let simple: SimplePattern?
    private let regex: NSRegularExpression?

    init(_ source: String) throws(SeekError) {
        self.source = source
        if let simple = SimplePattern(source) {
            self.simple = simple
            regex = nil
            return
        }
        simple = nil
        do {
            regex = try NSRegularExpression(pattern: source)
        } catch {
            throw SeekError(.badRequest, "The schema's pattern \(source) is not a valid regular expression.")
        }
    }

    func matches(_ text: String) -> Bool {
        if let simple { return simple.matches(text) }
        return regex?.firstMatch(in: text, range: NSRange(location: 0, length: text.utf16.count)) != nil
    }
}

/// A pattern without groups, alternation or assertions (other than a leading `^` and trailing `$`), run as a
/// position automaton: each atom is expanded by its quantifier into at most 63 positions, and the set of
/// positions reached is one bit mask, so a match costs one pass over the text whatever the pattern.
struct SimplePattern: Sendable {
    private enum Repeat {
        case once, optional, star
    }

    private struct Position {
        var set: ScalarSet
        var kind: Repeat
    }

    private let positions: [Position]
    private let anchoredStart: Bool
    private let anchoredEnd: Bool
    /// Positions that may be skipped without consuming (optional and starred ones).
    private let skippable: UInt64
    private var accept: UInt64 { 1 << UInt64(positions.count) }

    /// Nil when `source` is outside the subset (or not a valid pattern at all; ICU then says so).
    init?(_ source: String) {
        var scalars = Array(source.unicodeScalars)[...]
        anchoredStart = scalars.first == "^"
        if anchoredStart { scalars.removeFirst() }
        anchoredEnd = scalars.last == "$" && !Self.isEscaped(scalars, before: scalars.endIndex - 1)
        if anchoredEnd { scalars.removeLast() }
        var positions: [Position] = []
        while let first = scalars.first {
            guard let set = Self.atom(&scalars, first) else { return nil }
            guard let (minimum, maximum) = Self.quantifier(&scalars) else { return nil }
            let copies = maximum ?? (minimum + 1)
            guard positions.count + copies <= 63 else { return nil }
            for index in 0..<copies {
                let kind: Repeat = index < minimum ? .once : (maximum == nil ? .star : .optional)
                positions.append(Position(set: set, kind: kind))
            }
        }
        self.positions = positions
        var skippable: UInt64 = 0
        for (index, position) in positions.enumerated() where position.kind != .once { skippable |= 1 << UInt64(index) }
        self.skippable = skippable
    }

    func matches(_ text: String) -> Bool {
        let start = closure(1)
        var current = start
        if current & accept != 0, !anchoredEnd { return true }
        for scalar in text.unicodeScalars {
            var next: UInt64 = 0
            var remaining = current & (accept - 1)
            while remaining != 0 {
                let index = remaining.trailingZeroBitCount
                remaining &= remaining - 1
                let position = positions[index]
                guard position.set.contains(scalar) else { continue }
                next |= 1 << UInt64(index + 1)
                if position.kind == .star { next |= 1 << UInt64(index) }
            }
            current = closure(next)
            if !anchoredStart { current |= start }
            if current & accept != 0, !anchoredEnd { return true }
            if current == 0 { return false }
        }
        return current & accept != 0
    }

    /// Adds every position reachable by skipping optional ones; skips only go forward, so one pass does.
    private func closure(_ mask: UInt64) -> UInt64 {
        var mask = mask
        var remaining = mask & skippable
        while remaining != 0 {
            let index = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            if mask & (1 << UInt64(index)) != 0 {
                let next: UInt64 = 1 << UInt64(index + 1)
                mask |= next
                remaining |= next & skippable
            }
        }
        return mask
    }

    // MARK: Parsing

    private static func isEscaped(_ scalars: ArraySlice<Unicode.Scalar>, before index: Int) -> Bool {
        var backslashes = 0
        var cursor = index - 1
        while cursor >= scalars.startIndex, scalars[cursor] == "\\" {
            backslashes += 1
            cursor -= 1
        }
        return backslashes % 2 == 1
    }

    private static func atom(_ scalars: inout ArraySlice<Unicode.Scalar>, _ first: Unicode.Scalar) -> ScalarSet? {
        scalars.removeFirst()
        switch first {
        case ".": return ScalarSet.lineTerminators.inverted
        case "\\": return escape(&scalars)
        case "[": return characterClass(&scalars)
        case "(", ")", "|", "^", "$", "*", "+", "?", "{", "}", "]": return nil
        default: return ScalarSet(first)
        }
    }

    /// `?`, `*`, `+`, `{n}`, `{n,}` or `{n,m}`, lazy or not (laziness changes what a match spans, never whether
    /// there is one). Nil for a quantifier outside the subset.
    private static func quantifier(_ scalars: inout ArraySlice<Unicode.Scalar>) -> (Int, Int?)? {
        var bounds: (Int, Int?)
        switch scalars.first {
        case "?": bounds = (0, 1)
        case "*": bounds = (0, nil)
        case "+": bounds = (1, nil)
        case "{":
            guard let close = scalars.firstIndex(of: "}") else { return nil }
            let body = String(String.UnicodeScalarView(scalars[(scalars.startIndex + 1)..<close]))
            let parts = body.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            guard let minimum = count(parts[0]) else { return nil }
            if parts.count == 1 {
                bounds = (minimum, minimum)
            } else if parts[1].isEmpty {
                bounds = (minimum, nil)
            } else {
                guard let maximum = count(parts[1]), maximum >= minimum else { return nil }
                bounds = (minimum, maximum)
            }
            scalars = scalars[close...]
        default:
            return (1, 1)
        }
        scalars.removeFirst()
        if scalars.first == "?" { scalars.removeFirst() }
        if let next = scalars.first, "*+?{".unicodeScalars.contains(next) { return nil }
        return bounds
    }

    /// A repetition count as ECMA-262 writes it: decimal digits only (`Int` would take `-1` and `+1`), at most 63.
    private static func count(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int(text) else {
            return nil
        }
        return value <= 63 ? value : nil
    }

    private static func escape(_ scalars: inout ArraySlice<Unicode.Scalar>) -> ScalarSet? {
        guard let letter = scalars.popFirst() else { return nil }
        switch letter {
        case "d": return .digits
        case "D": return ScalarSet.digits.inverted
        case "w": return .word
        case "W": return ScalarSet.word.inverted
        case "s": return .whitespace
        case "S": return ScalarSet.whitespace.inverted
        case "t": return ScalarSet("\t")
        case "n": return ScalarSet("\n")
        case "r": return ScalarSet("\r")
        case "f": return ScalarSet("\u{0C}")
        case "v": return ScalarSet("\u{0B}")
        case "x", "u":
            let digits = letter == "x" ? 2 : 4
            guard scalars.count >= digits else { return nil }
            let hex = String(String.UnicodeScalarView(scalars.prefix(digits)))
            guard hex.allSatisfy(\.isHexDigit), let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else { return nil }
            scalars.removeFirst(digits)
            return ScalarSet(scalar)
        default:
            // Only syntax characters escape to themselves; \b, \B, \p, back-references and the rest go to ICU.
            guard "^$\\.*+?()[]{}|/-".unicodeScalars.contains(letter) else { return nil }
            return ScalarSet(letter)
        }
    }

    private static func characterClass(_ scalars: inout ArraySlice<Unicode.Scalar>) -> ScalarSet? {
        let negated = scalars.first == "^"
        if negated { scalars.removeFirst() }
        guard scalars.first != "]" else { return nil }  // [] and [^] mean other things in ECMA-262
        var set = ScalarSet()
        while let first = scalars.popFirst() {
            if first == "]" { return negated ? set.inverted : set }
            let low: ScalarSet
            if first == "\\" {
                guard let escaped = escape(&scalars) else { return nil }
                low = escaped
            } else {
                guard first != "[" else { return nil }
                low = ScalarSet(first)
            }
            if scalars.first == "-", scalars.dropFirst().first != "]", let lower = low.single {
                scalars.removeFirst()
                guard let upperScalar = scalars.popFirst(), upperScalar != "\\", upperScalar != "[", upperScalar.value >= lower.value else {
                    return nil
                }
                set.insert(lower.value...upperScalar.value)
            } else {
                set.formUnion(low)
            }
        }
        return nil  // unterminated
    }
}

/// A set of Unicode scalars as sorted, disjoint closed ranges.
struct ScalarSet: Sendable {
    private(set) var ranges: [ClosedRange<UInt32>] = []

    init() {}
    init(_ scalar: Unicode.Scalar) { ranges = [scalar.value...scalar.value] }
    init(ranges: [ClosedRange<UInt32>]) {
        for range in ranges { insert(range) }
    }

    static let digits = ScalarSet(ranges: [0x30...0x39])
    static let word = ScalarSet(ranges: [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    /// ECMA-262 WhiteSpace and LineTerminator.
    static let whitespace = ScalarSet(ranges: [
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029, 0x202F...0x202F,
        0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ])
    static let lineTerminators = ScalarSet(ranges: [0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029])

    var single: Unicode.Scalar? {
        guard ranges.count == 1, ranges[0].lowerBound == ranges[0].upperBound else { return nil }
        return Unicode.Scalar(ranges[0].lowerBound)
    }

    var inverted: ScalarSet {
        var result = ScalarSet()
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.ranges.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= 0x10FFFF { result.ranges.append(next...0x10FFFF) }
        return result
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        for range in ranges {
            if value < range.lowerBound { return false }
            if value <= range.upperBound { return true }
        }
        return false
    }

    mutating func formUnion(_ other: ScalarSet) {
        for range in other.ranges { insert(range) }
    }

    mutating func insert(_ range: ClosedRange<UInt32>) {
        var merged = range
        var kept: [ClosedRange<UInt32>] = []
        for existing in ranges {
            if existing.upperBound &+ 1 < merged.lowerBound || merged.upperBound &+ 1 < existing.lowerBound {
                kept.append(existing)
            } else {
                merged = min(existing.lowerBound, merged.lowerBound)...max(existing.upperBound, merged.upperBound)
            }
        }
        kept.append(merged)
        ranges = kept.sorted { $0.lowerBound < $1.lowerBound }
    }
}
