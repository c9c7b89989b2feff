import Foundation
import SeekCore

/// An email address whose syntax holds: RFC 5321's Mailbox (a dot-atom or quoted local part; a domain or an
/// address literal), with RFC 6531's UTF-8 in the local part and IDNA domains, and the limits of RFC 5321
/// §4.5.3.1 (64 octets of local part, 254 of address, 63 per label).
public struct EmailAddress: Sendable, Equatable {
    /// The local part as given, NFC-normalised.
    public let local: String
    /// The domain in ASCII: lower case, with IDNA labels as A-labels (`xn--…`); or `[literal]`.
    public let asciiDomain: String
    /// The domain as a person reads it: lower case, U-labels.
    public let domain: String
    public let isDomainLiteral: Bool

    /// `local@domain`, the form to store and compare (local part kept as given: only the receiving server knows
    /// whether it is case-sensitive).
    public var normalized: String { "\(local)@\(domain)" }

    /// The form RCPT TO takes without SMTPUTF8: the domain's A-labels.
    public var smtpAddress: String { "\(local)@\(asciiDomain)" }

    /// Domains no address on the public internet can have (RFC 6761, 6762, 7686).
    static let specialUseDomains: Set<String> = ["arpa", "invalid", "local", "localhost", "onion", "test"]

    /// Parses `text`, or says why it is not an address.
    public static func parse(_ text: String) -> Result<EmailAddress, EmailSyntaxError> {
        // ASCII is already in NFC: most addresses skip Foundation's normalisation.
        let text = text.utf8.allSatisfy { $0 < 0x80 } ? text : text.precomposedStringWithCanonicalMapping
        guard !text.isEmpty else { return .failure("The address is empty.") }
        guard text.utf8.count <= 254 else { return .failure("The address is longer than 254 octets.") }
        guard let at = text.utf8.lastIndex(of: UInt8(ascii: "@")) else { return .failure("The address has no @.") }
        let local = String(text[..<at])
        let domainText = String(text[text.utf8.index(after: at)...])
        if let problem = localPartProblem(local) { return .failure(problem) }
        if domainText.hasPrefix("[") {
            guard domainText.hasSuffix("]"), domainText.count > 2 else { return .failure("The domain literal is not closed with ].") }
            let literal = Array(domainText.dropFirst().dropLast().utf8)
            let ipv6Tag = Array("IPv6:".utf8)
            let valid = literal.starts(with: ipv6Tag) ? IPGrammar.isIPv6(literal.dropFirst(ipv6Tag.count)) : IPGrammar.isIPv4(literal[...])
            guard valid else { return .failure("The domain literal is not an IPv4 or IPv6: address.") }
            return .success(EmailAddress(local: local, asciiDomain: domainText, domain: domainText, isDomainLiteral: true))
        }
        switch domain(domainText) {
        case let .failure(problem): return .failure(problem)
        case let .success((ascii, unicode)):
            return .success(EmailAddress(local: local, asciiDomain: ascii, domain: unicode, isDomainLiteral: false))
        }
    }

    // MARK: Local part

    private static func localPartProblem(_ local: String) -> EmailSyntaxError? {
        guard !local.isEmpty else { return "The part before the @ is empty." }
        guard local.utf8.count <= 64 else { return "The part before the @ is longer than 64 octets." }
        if local.hasPrefix("\"") { return quotedProblem(local) }
        guard local.utf8.first != UInt8(ascii: "."), local.utf8.last != UInt8(ascii: ".") else {
            return "The part before the @ starts or ends with a dot."
        }
        var afterDot = false
        for scalar in local.unicodeScalars {
            if scalar == "." {
                guard !afterDot else { return "The part before the @ has two dots in a row." }
                afterDot = true
                continue
            }
            afterDot = false
            if scalar.isASCII {
                guard ASCII.isAtext(UInt8(scalar.value)) else { return "The part before the @ contains \(describe(scalar)), which needs quoting." }
            } else if !isSafe(scalar) {
                return "The part before the @ contains \(describe(scalar))."
            }
        }
        return nil
    }

    /// RFC 5321's Quoted-string (qtextSMTP and quoted-pairSMTP), with RFC 6531's UTF-8.
    private static func quotedProblem(_ local: String) -> EmailSyntaxError? {
        let scalars = Array(local.unicodeScalars)
        guard scalars.count >= 2, scalars.last == "\"" else { return "The quoted part before the @ is not closed." }
        var index = 1
        while index < scalars.count - 1 {
            let scalar = scalars[index]
            if scalar == "\\" {
                index += 1
                guard index < scalars.count - 1, (32...126).contains(scalars[index].value) else {
                    return "A backslash in the quoted part escapes nothing."
                }
            } else if scalar == "\"" {
                return "The quoted part before the @ has a quote inside it."
            } else if scalar.isASCII {
                guard (32...126).contains(scalar.value) else { return "The quoted part before the @ contains \(describe(scalar))." }
            } else if !isSafe(scalar) {
                return "The quoted part before the @ contains \(describe(scalar))."
            }
            index += 1
        }
        return nil
    }

    /// A non-ASCII character an address may carry: letters, marks, numbers, symbols and punctuation, but no
    /// controls, invisible format characters, spaces, private-use or unassigned code points.
    static func isSafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .spaceSeparator, .lineSeparator, .paragraphSeparator: return false
        default: return true
        }
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        scalar.value < 0x21 || scalar.value == 0x7F || (!scalar.isASCII && !isSafe(scalar)) ? String(format: "U+%04X", scalar.value) : "'\(scalar)'"
    }

    // MARK: Domain

    private static func domain(_ text: String) -> Result<(ascii: String, unicode: String), EmailSyntaxError> {
        guard !text.isEmpty else { return .failure("The part after the @ is empty.") }
        // IDNA's label separators: the ideographic and fullwidth full stops count as dots (UTS 46).
        let lower = text.lowercased()
        let unified =
            lower.utf8.allSatisfy { $0 < 0x80 }
            ? lower
            : lower.replacingOccurrences(of: "\u{3002}", with: ".").replacingOccurrences(of: "\u{FF0E}", with: ".")
                .replacingOccurrences(of: "\u{FF61}", with: ".")
        let labels = unified.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard labels.count >= 2 else { return .failure("The domain has no dot: no address on the internet ends in a bare name.") }
        var ascii: [String] = []
        for label in labels {
            guard !label.isEmpty else { return .failure("The domain has an empty label (a leading, trailing or doubled dot).") }
            if label.unicodeScalars.allSatisfy(\.isASCII) {
                guard label.utf8.allSatisfy({ ASCII.isLetterDigitHyphen($0) }) else {
                    return .failure("The domain label \(label) may hold only letters, digits and hyphens.")
                }
                if label.hasPrefix("xn--"), !isValidALabel(label) { return .failure("The domain label \(label) is not valid IDNA.") }
                ascii.append(label)
            } else {
                guard label.unicodeScalars.allSatisfy(isLabelScalar) else {
                    return .failure("The domain label \(label) has a character no domain can have.")
                }
                guard let encoded = Punycode.encode(label) else { return .failure("The domain label \(label) cannot be encoded for DNS.") }
                ascii.append("xn--" + encoded)
            }
            let label = ascii[ascii.count - 1]
            guard label.utf8.count <= 63 else { return .failure("A domain label is longer than 63 octets.") }
            guard !label.hasPrefix("-"), !label.hasSuffix("-") else { return .failure("The domain label \(label) starts or ends with a hyphen.") }
            let bytes = label.utf8
            let reservedHyphens =
                bytes.count >= 4 && bytes[bytes.index(bytes.startIndex, offsetBy: 2)] == 45 && bytes[bytes.index(bytes.startIndex, offsetBy: 3)] == 45
            guard !reservedHyphens || label.hasPrefix("xn--") else {
                return .failure("The domain label \(label) has -- in third and fourth place, which IDNA reserves.")
            }
        }
        let joined = ascii.joined(separator: ".")
        guard joined.utf8.count <= 253 else { return .failure("The domain is longer than 253 octets.") }
        guard let top = ascii.last, !top.allSatisfy(\.isNumber) else { return .failure("The domain's last label is all digits.") }
        if specialUseDomains.contains(top) {
            return .failure("The domain \(unified) is reserved for special use (RFC 6761) and cannot receive mail.")
        }
        return .success((joined, labels.joined(separator: ".")))
    }

    /// An `xn--` label that decodes to a U-label Seek would accept, and encodes back to itself.
    static func isValidALabel(_ label: String) -> Bool {
        let encoded = String(label.dropFirst(4))
        guard let decoded = Punycode.decode(encoded), decoded.unicodeScalars.contains(where: { !$0.isASCII }) else { return false }
        return decoded.unicodeScalars.allSatisfy(isLabelScalar) && decoded == decoded.lowercased().precomposedStringWithCanonicalMapping
            && Punycode.encode(decoded) == encoded
    }

    /// What a U-label holds: ASCII letters, digits and hyphens, and non-ASCII letters, marks and numbers.
    static func isLabelScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? ASCII.isLetterDigitHyphen(UInt8(scalar.value)) : isDomainSafe(scalar)
    }

    /// Letters, marks and numbers: what an internationalised label holds (IDNA2008's PVALID, roughly).
    static func isDomainSafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .lowercaseLetter, .otherLetter, .modifierLetter, .titlecaseLetter, .uppercaseLetter, .nonspacingMark, .spacingMark,
            .enclosingMark, .decimalNumber, .otherNumber, .letterNumber:
            return true
        default: return false
        }
    }
}

/// Why an address's syntax does not hold, in a sentence.
public struct EmailSyntaxError: Error, Sendable, Equatable, ExpressibleByStringInterpolation {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public init(stringLiteral value: String) { reason = value }
}

/// RFC 3492 Punycode, for IDNA labels.
enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 128

    private static func adapt(_ delta: Int, _ points: Int, _ first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / points
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    private static func digit(_ value: Int) -> Character {
        Character(Unicode.Scalar(UInt8(value < 26 ? value + 97 : value + 22)))
    }

    static func encode(_ text: String) -> String? {
        let input = text.unicodeScalars.map { Int($0.value) }
        var output = String(text.unicodeScalars.filter(\.isASCII).map(Character.init))
        let basic = output.count
        var handled = basic
        if basic > 0 { output.append("-") }
        var n = initialN
        var delta = 0
        var bias = initialBias
        while handled < input.count {
            guard let next = input.filter({ $0 >= n }).min() else { return nil }
            let (step, overflow) = (next - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow else { return nil }
            delta += step
            n = next
            for code in input {
                if code < n { delta += 1 }
                if code == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta, handled + 1, handled == basic)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return output
    }

    static func decode(_ text: String) -> String? {
        var output: [Int] = []
        var rest = Substring(text)
        if let dash = text.lastIndex(of: "-") {
            output = text[..<dash].unicodeScalars.map { Int($0.value) }
            guard output.allSatisfy({ $0 < 128 }) else { return nil }
            rest = text[text.index(after: dash)...]
        }
        var n = initialN
        var i = 0
        var bias = initialBias
        var digits = rest.unicodeScalars.makeIterator()
        while true {
            let oldI = i
            var w = 1
            var k = base
            var sawDigit = false
            var complete = false
            while let scalar = digits.next() {
                sawDigit = true
                let value: Int
                switch scalar.value {
                case 0x30...0x39: value = Int(scalar.value) - 22
                case 0x41...0x5A: value = Int(scalar.value) - 65
                case 0x61...0x7A: value = Int(scalar.value) - 97
                default: return nil
                }
                i += value * w
                let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                if value < t {
                    complete = true
                    break
                }
                w *= base - t
                k += base
                guard i < 1 << 40, w < 1 << 40 else { return nil }
            }
            guard sawDigit else { break }
            guard complete else { return nil }
            bias = adapt(i - oldI, output.count + 1, oldI == 0)
            n += i / (output.count + 1)
            i %= output.count + 1
            guard n <= 0x10FFFF else { return nil }
            output.insert(n, at: i)
            i += 1
        }
        return String(String.UnicodeScalarView(output.compactMap { Unicode.Scalar(UInt32($0)) }))
    }
}
